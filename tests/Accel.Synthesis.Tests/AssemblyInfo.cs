using Xunit;

// yosys runs take a core each and most of a minute; two at once on a 2-core machine only slow each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
