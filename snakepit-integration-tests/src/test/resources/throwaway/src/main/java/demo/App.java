package demo;

import dev.snakepit.Snakepit;
import java.util.stream.Collectors;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.registry.HealthContributorRegistry;

@SpringBootApplication
public class App {
  public static void main(String[] args) {
    var context = SpringApplication.run(App.class, args);
    var pit = context.getBean(Snakepit.class);
    System.out.println("RESULT " + pit.execute("six_version").asJson().asText());
    var snakepit = (HealthIndicator) context.getBean(HealthContributorRegistry.class).getContributor("snakepit");
    System.out.println("HEALTH " + snakepit.health().getStatus());
    System.out.println("PIDS " + pit.workerPids().stream().map(String::valueOf).collect(Collectors.joining(",")));
    System.exit(SpringApplication.exit(context));
  }
}
