// One AppHost (five Redis processes, PostgreSQL, five services) for the whole suite, its faults one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
