/** JMH microbenchmarks of Snakepit's Java hot paths, each beside a no-op baseline. */
package dev.snakepit.jmh;
