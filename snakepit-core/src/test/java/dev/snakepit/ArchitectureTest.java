package dev.snakepit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMethods;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The architecture's rules, checked on every build. */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
        .importPackages("dev.snakepit");
  }

  @Test
  void internalPackagesHaveNoCycles() {
    slices().matching("dev.snakepit.internal.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void onlyTheGrpcTransportKnowsGrpcAndProtobuf() {
    noClasses().that().resideOutsideOfPackages("dev.snakepit.internal.transport.grpc..", "dev.snakepit.internal.proto..")
        .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "com.google.protobuf..")
        .check(classes);
  }

  @Test
  void noInternalClassUsesTheFacade() {
    noClasses().that().resideInAPackage("dev.snakepit.internal..")
        .should().dependOnClassesThat().belongToAnyOf(Snakepit.class, Session.class)
        .check(classes);
  }

  @Test
  void publicClassesOtherThanTheFacadeImportNothingInternal() {
    noClasses().that().resideInAPackage("dev.snakepit").and().doNotBelongToAnyOf(Snakepit.class)
        .should().dependOnClassesThat().resideInAPackage("dev.snakepit.internal..")
        .check(classes);
  }

  @Test
  void thePublicApiExposesNoInternalType() {
    noMethods().that().areDeclaredInClassesThat().resideInAPackage("dev.snakepit")
        .and().arePublic()
        .should().haveRawReturnType(com.tngtech.archunit.base.DescribedPredicate.describe("an internal type",
            (com.tngtech.archunit.core.domain.JavaClass c) -> c.getPackageName().startsWith("dev.snakepit.internal")))
        .orShould().haveRawParameterTypes(com.tngtech.archunit.base.DescribedPredicate.describe("internal types",
            (java.util.List<com.tngtech.archunit.core.domain.JavaClass> types) ->
                types.stream().anyMatch(c -> c.getPackageName().startsWith("dev.snakepit.internal"))))
        .check(classes);
  }

  @Test
  void onlyTheTransportPackagesMayImplementTransports() {
    noClasses().that().resideOutsideOfPackages("dev.snakepit.internal.transport..")
        .and().doNotHaveModifier(JavaModifier.SYNTHETIC)
        .should().implement(dev.snakepit.internal.transport.WorkerTransport.class)
        .check(classes);
  }
}
