package dev.snakepit.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The ready-file announcement: the Snakepit form (a port) and tolerant extensions. */
class ReadyFileTest {

  @Test
  void aBarePortIsALoopbackTcpEndpoint() {
    var ready = ReadyFile.parse("50123\n");
    assertThat(ready.endpoints()).containsExactly(WorkerEndpoint.Tcp.loopback(50123));
    assertThat(ready.tcpPort()).isEqualTo(50123);
  }

  @Test
  void extraLinesAddEndpointsAndFieldsAndUnknownLinesAreIgnored() {
    var ready = ReadyFile.parse("50123\nunix:/tmp/w1.sock\nlane_version=1\nsomething else\n");
    assertThat(ready.endpoints()).containsExactly(WorkerEndpoint.Tcp.loopback(50123),
        new WorkerEndpoint.UnixSocket(Path.of("/tmp/w1.sock")));
    assertThat(ready.fields()).containsEntry("lane_version", "1").hasSize(1);
  }

  @Test
  void aJsonObjectAnnouncesPortSocketAndExtraFields() {
    var ready = ReadyFile.parse("{\"port\": 4711, \"unix_socket\": \"/run/w 2.sock\", \"pid\": 99, \"lane\": \"v1\"}");
    assertThat(ready.endpoints()).containsExactly(WorkerEndpoint.Tcp.loopback(4711),
        new WorkerEndpoint.UnixSocket(Path.of("/run/w 2.sock")));
    assertThat(ready.fields()).containsEntry("pid", "99").containsEntry("lane", "v1");
  }

  @Test
  void aSocketOnlyAnnouncementHasNoTcpPort() {
    var ready = ReadyFile.parse("unix:/tmp/only.sock");
    assertThat(ready.tcpPort()).isEqualTo(-1);
    assertThat(ready.endpoints()).hasSize(1);
  }
}
