using Isolated.Net.Testing;

[assembly: IsolationChecks]
