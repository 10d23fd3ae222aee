package dev.snakepit.spring.boot;

import dev.snakepit.Snakepit;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.support.AutowireCandidateQualifier;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Registers one {@link Snakepit} bean per pool: {@code snakepit} (primary) for the top-level
 * settings, and one per {@code snakepit.pools.<name>}, named and qualified by its name. Each is
 * started when the context creates it and closed by {@link SnakepitLifecycle} (or on destroy).
 */
class SnakepitPoolRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware, BeanFactoryAware {
  private Environment environment;
  private BeanFactory beanFactory;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
    var properties = Binder.get(environment).bind("snakepit", SnakepitProperties.class).orElseGet(SnakepitProperties::new);
    if (properties.hasDefaultPool() && !registry.containsBeanDefinition(SnakepitAutoConfiguration.DEFAULT_POOL)) {
      register(registry, SnakepitAutoConfiguration.DEFAULT_POOL, true);
    }
    for (var name : properties.getPools().keySet()) {
      if (!registry.containsBeanDefinition(name)) {
        register(registry, name, false);
      }
    }
  }

  private void register(BeanDefinitionRegistry registry, String name, boolean primary) {
    var definition = new RootBeanDefinition(Snakepit.class);
    definition.setInstanceSupplier(() -> beanFactory.getBean(SnakepitPoolFactory.class).start(name));
    definition.setDestroyMethodName("close");
    definition.setPrimary(primary);
    definition.addQualifier(new AutowireCandidateQualifier(Qualifier.class, name));
    registry.registerBeanDefinition(name, definition);
  }
}
