// Each collection runs a whole AppHost (five Redis processes, PostgreSQL, five services); two at once on a
// two-core machine turn the tests' deadlines into a measure of load.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
