using Isolated.Net.Testing;
using Xunit;

[assembly: IsolationChecks]
// Every test here kills processes and watches machine-wide state: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
