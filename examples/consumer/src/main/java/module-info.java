/**
 * A JPMS application that uses Attention4J from the installed artifacts: the library's jars are automatic
 * modules named by their Automatic-Module-Name, and the backends are found through ServiceLoader on the
 * module path.
 */
module org.attention4j.examples.consumer {
    requires org.attention4j.api;
}
