package dev.snakepit.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

/** The whole service on a random port, with real workers in the managed scikit-learn environment. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class IrisApplicationTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Value("${local.server.port}")
  int port;

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldClassifyAFlowerThroughTheRestEndpoint() throws Exception {
    var response = send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/predict"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"features\": [5.1, 3.5, 1.4, 0.2]}")));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"species\":\"setosa\"");
  }

  @Test
  void shouldReportTheWorkersInTheReadinessProbe() throws Exception {
    var response = send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health/readiness")));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"snakepit\"").contains("\"status\":\"UP\"");
  }
}
