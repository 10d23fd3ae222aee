package dev.snakepit.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A web service that classifies iris flowers with a scikit-learn model running in Python workers. */
@SpringBootApplication
public class IrisApplication {
  /** Starts the service (port 8080 unless server.port says otherwise). */
  public static void main(String[] args) {
    SpringApplication.run(IrisApplication.class, args);
  }
}
