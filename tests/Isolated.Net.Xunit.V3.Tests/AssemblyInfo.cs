using Isolated.Net.Xunit.V3.Tests;
using Xunit;

[assembly: AssemblyFixture(typeof(AssemblyWideFixture))]
