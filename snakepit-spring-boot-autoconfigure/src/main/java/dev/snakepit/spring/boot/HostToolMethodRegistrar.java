package dev.snakepit.spring.boot;

import dev.snakepit.Snakepit;
import java.util.Map;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;

/**
 * Once every singleton exists, finds the beans' {@link HostToolMethod} methods and registers them
 * as global host tools on the pools they name (all pools by default).
 */
class HostToolMethodRegistrar implements SmartInitializingSingleton {
  private final ConfigurableListableBeanFactory beanFactory;

  HostToolMethodRegistrar(ConfigurableListableBeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public void afterSingletonsInstantiated() {
    Map<String, Snakepit> pools = beanFactory.getBeansOfType(Snakepit.class, false, false);
    if (pools.isEmpty()) {
      return;
    }
    for (var beanName : beanFactory.getBeanDefinitionNames()) {
      var definition = beanFactory.getMergedBeanDefinition(beanName);
      if (definition.isAbstract() || !definition.isSingleton() || definition.isLazyInit()) {
        continue;
      }
      var type = beanFactory.getType(beanName, false);
      if (type == null || type == Snakepit.class || !HostToolMethods.hasAny(type)) {
        continue;
      }
      for (var found : HostToolMethods.of(beanFactory.getBean(beanName), beanName)) {
        pools.forEach((poolName, pool) -> {
          if (found.appliesTo(poolName)) {
            pool.hostTools().register(found.tool());
          }
        });
      }
    }
  }
}
