using Isolated.Net;
using Isolated.Net.Xunit;

namespace Isolated.Net.Samples.Xunit;

// Two web servers and a client on one switch. Built once per test class that uses it, on first use.
public sealed class WebFarmFixture : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddSwitch("lan")
        .AddHost("web1").Connect("web1", "lan")     // 10.0.1.1
        .AddHost("web2").Connect("web2", "lan")     // 10.0.1.2
        .AddHost("client").Connect("client", "lan"); // 10.0.1.3
}
