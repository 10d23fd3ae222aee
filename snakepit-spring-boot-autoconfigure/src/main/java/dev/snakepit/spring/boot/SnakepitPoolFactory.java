package dev.snakepit.spring.boot;

import dev.snakepit.CallInterceptor;
import dev.snakepit.PoolEventListener;
import dev.snakepit.PythonEnvironment;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Builds and starts the pools described by {@link SnakepitProperties}: property values (a named
 * pool's own, else the top-level ones), then the {@link PoolEventListener} and
 * {@link CallInterceptor} beans, then every {@link SnakepitConfigCustomizer}.
 */
public class SnakepitPoolFactory {
  private final SnakepitProperties properties;
  private final ObjectProvider<SnakepitConfigCustomizer> customizers;
  private final ObjectProvider<PoolEventListener> listeners;
  private final ObjectProvider<CallInterceptor> interceptors;

  /** A factory over these properties and beans. */
  public SnakepitPoolFactory(SnakepitProperties properties, ObjectProvider<SnakepitConfigCustomizer> customizers,
      ObjectProvider<PoolEventListener> listeners, ObjectProvider<CallInterceptor> interceptors) {
    this.properties = properties;
    this.customizers = customizers;
    this.listeners = listeners;
    this.interceptors = interceptors;
  }

  /** Starts the pool of that name ({@value SnakepitAutoConfiguration#DEFAULT_POOL} or a key of snakepit.pools). */
  public Snakepit start(String poolName) {
    return Snakepit.start(config(poolName));
  }

  /** The config of the pool of that name. */
  public SnakepitConfig config(String poolName) {
    var own = SnakepitAutoConfiguration.DEFAULT_POOL.equals(poolName) ? properties : properties.getPools().get(poolName);
    if (own == null) {
      throw new IllegalArgumentException("no pool '" + poolName + "' under snakepit.pools; configured: " + properties.getPools().keySet());
    }
    SnakepitPoolProperties root = properties;
    var builder = SnakepitConfig.builder().poolName(poolName);
    pick(own, root, SnakepitPoolProperties::getAdapter).ifPresent(builder::adapter);
    pick(own, root, SnakepitPoolProperties::getWorkers).ifPresent(builder::workers);
    pick(own, root, SnakepitPoolProperties::getWorkerConcurrency).ifPresent(builder::workerConcurrency);
    pick(own, root, SnakepitPoolProperties::getStartupTimeout).ifPresent(builder::startupTimeout);
    pick(own, root, SnakepitPoolProperties::getCallTimeout).ifPresent(builder::callTimeout);
    pick(own, root, SnakepitPoolProperties::getQueueCapacity).ifPresent(builder::queueCapacity);
    pick(own, root, SnakepitPoolProperties::getShutdownGrace).ifPresent(builder::shutdownGrace);
    pick(own, root, SnakepitPoolProperties::getMaxCallsPerWorker).ifPresent(builder::maxCallsPerWorker);
    pick(own, root, SnakepitPoolProperties::getMaxWorkerAge).ifPresent(builder::maxWorkerAge);
    var environment = new LinkedHashMap<>(root.getWorkerEnvironment());
    environment.putAll(own.getWorkerEnvironment());
    builder.workerEnvironment(environment);
    python(own.getPython(), root.getPython(), builder);
    listeners.orderedStream().forEach(builder::eventListener);
    interceptors.orderedStream().forEach(builder::callInterceptor);
    customizers.orderedStream().forEach(c -> c.customize(poolName, builder));
    return builder.build();
  }

  private static void python(SnakepitPoolProperties.Python own, SnakepitPoolProperties.Python root, SnakepitConfig.Builder builder) {
    var interpreter = pick(own, root, SnakepitPoolProperties.Python::getInterpreter);
    var path = own.getPath().isEmpty() ? root.getPath() : own.getPath();
    path.forEach(builder::addPythonPath);
    List<String> requirements = own.getRequirements().isEmpty() ? root.getRequirements() : own.getRequirements();
    var requirementsFile = pick(own, root, SnakepitPoolProperties.Python::getRequirementsFile);
    if (requirements.isEmpty() && requirementsFile.isEmpty()) {
      interpreter.ifPresent(builder::python);
      return;
    }
    var environment = PythonEnvironment.builder().requirements(requirements);
    requirementsFile.ifPresent(environment::requirementsFile);
    interpreter.ifPresent(environment::baseInterpreter);
    pick(own, root, SnakepitPoolProperties.Python::getCacheDirectory).ifPresent(environment::cacheDirectory);
    pick(own, root, SnakepitPoolProperties.Python::getOfflineWheels).ifPresent(environment::offlineWheels);
    pick(own, root, SnakepitPoolProperties.Python::getInstaller).ifPresent(environment::installer);
    builder.pythonEnvironment(environment.build());
  }

  private static <P, T> Optional<T> pick(P own, P root, Function<P, T> getter) {
    var value = getter.apply(own);
    return Optional.ofNullable(value != null ? value : getter.apply(root));
  }
}
