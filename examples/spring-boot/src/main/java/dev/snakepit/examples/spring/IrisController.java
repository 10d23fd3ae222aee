package dev.snakepit.examples.spring;

import dev.snakepit.Snakepit;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /predict {"features": [5.1, 3.5, 1.4, 0.2]}} answers the species and its probabilities. */
@RestController
class IrisController {
  /** The request body. */
  record Flower(List<Double> features) {}

  /** The answer: the most likely species and the probability of each. */
  record Prediction(String species, Map<String, Double> probabilities) {}

  private final Snakepit snakepit;

  IrisController(Snakepit snakepit) {
    this.snakepit = snakepit;
  }

  @PostMapping("/predict")
  Prediction predict(@RequestBody Flower flower) {
    return snakepit.execute("predict", Map.of("features", flower.features())).as(Prediction.class);
  }
}
