/** The benchmark harness: Snakepit side by side with the physical floors and Py4J. */
package dev.snakepit.bench;
