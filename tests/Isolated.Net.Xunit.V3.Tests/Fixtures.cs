namespace Isolated.Net.Xunit.V3.Tests;

// server and client on one switch, built on first use.
public sealed class ClientServerFixture : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddSwitch("lan")
        .AddHost("server").Connect("server", "lan")
        .AddHost("client").Connect("client", "lan");
}

// A router between two hosts; shared by a collection of test classes.
public sealed class RoutedFixture : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddHost("left").AddRouter("router").AddHost("right")
        .Link("left", "router")
        .Link("router", "right");
}

// One host for the whole assembly (xUnit v3 assembly fixture).
public sealed class AssemblyWideFixture : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder.AddHost("solo");
}
