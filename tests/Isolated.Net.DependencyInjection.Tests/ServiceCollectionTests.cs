using System.Net;
using Isolated.Net.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Isolated.Net.DependencyInjection.Tests;

public sealed class ServiceCollectionTests
{
    private static TopologyBuilder Lan(TopologyBuilder net) => net
        .AddSwitch("lan")
        .AddHost("server").Connect("server", "lan")
        .AddHost("client").Connect("client", "lan");

    [PrivilegedFact]
    public async Task Hosts_resolve_by_name_as_keyed_services_and_through_FromKeyedServices()
    {
        var services = new ServiceCollection().AddIsolatedNetwork(Lan);
        services.AddSingleton<ServerConsumer>();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var topology = provider.GetRequiredService<Topology>();
        Assert.Same(topology["server"], provider.GetRequiredKeyedService<NetHost>("server"));
        Assert.Same(topology["client"], provider.GetRequiredKeyedService<NetHost>("client"));
        Assert.Same(provider.GetRequiredKeyedService<NetHost>("server"), provider.GetRequiredKeyedService<NetHost>("server"));
        Assert.Same(topology["server"], provider.GetRequiredService<ServerConsumer>().Server);
        Assert.Equal(IPAddress.Parse("10.0.1.1"), provider.GetRequiredService<ServerConsumer>().Server.PrimaryIPv4);
    }

    [PrivilegedFact]
    public async Task Unknown_host_names_and_keys_that_are_not_names_fail_clearly()
    {
        await using var provider = new ServiceCollection().AddIsolatedNetwork(Lan).BuildServiceProvider();

        var unknown = Assert.Throws<KeyNotFoundException>(() => provider.GetRequiredKeyedService<NetHost>("database"));
        Assert.Equal("The topology has no host 'database'; it has 'server', 'client'.", unknown.Message);
        var notAName = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredKeyedService<NetHost>(42));
        Assert.Contains("registered under their names (string keys)", notAName.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public async Task The_topology_is_built_once_on_first_resolution_and_build_and_teardown_log_at_debug()
    {
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace))
            .AddIsolatedNetwork(Lan);
        var provider = services.BuildServiceProvider();
        try
        {
            Assert.DoesNotContain(logs.Entries, e => e.Category == "Isolated.Net.Topology");

            var hosts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
                provider.GetRequiredKeyedService<NetHost>(i % 2 == 0 ? "server" : "client"))));

            Assert.Same(provider.GetRequiredService<Topology>(), hosts[0].Topology);
            Assert.All(hosts, h => Assert.Same(hosts[0].Topology, h.Topology));
            var built = Assert.Single(logs.Entries, e => e.Message.StartsWith("Built topology", StringComparison.Ordinal));
            Assert.Equal(("Isolated.Net.Topology", LogLevel.Debug), (built.Category, built.Level));
            Assert.StartsWith("Built topology of 2 hosts, 1 switches and 0 links in ", built.Message, StringComparison.Ordinal);
        }
        finally
        {
            await provider.DisposeAsync();
        }
        var disposed = Assert.Single(logs.Entries, e => e.Message.StartsWith("Topology of 2 hosts disposed", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Debug, disposed.Level);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task An_invalid_description_throws_from_resolution_logs_a_warning_and_is_rethrown_later()
    {
        var logs = new CapturingLoggerProvider();
        await using var provider = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(logs))
            .AddIsolatedNetwork(net => net.AddHost("server").Connect("server", "nowhere"))
            .BuildServiceProvider();

        var first = Assert.Throws<TopologyValidationException>(() => provider.GetRequiredService<Topology>());
        var second = Assert.Throws<TopologyValidationException>(() => provider.GetRequiredKeyedService<NetHost>("server"));

        Assert.Same(first, second);
        Assert.Contains("nowhere", first.Message, StringComparison.Ordinal);
        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal("Isolated.Net.Topology", warning.Category);
        Assert.Same(first, warning.Exception);
    }

    [Fact]
    public void Registering_twice_or_returning_no_builder_is_refused()
    {
        var services = new ServiceCollection().AddIsolatedNetwork(Lan);

        var twice = Assert.Throws<InvalidOperationException>(() => services.AddIsolatedNetwork(Lan));
        Assert.Contains("already called", twice.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddIsolatedNetwork((Func<TopologyBuilder, TopologyBuilder>)null!));

        using var provider = new ServiceCollection().AddIsolatedNetwork((_, _) => null!).BuildServiceProvider();
        var nullBuilder = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<Topology>());
        Assert.Contains("returned null", nullBuilder.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public async Task The_service_provider_overload_sees_other_services_when_building()
    {
        var services = new ServiceCollection()
            .AddSingleton(new HostNames("api", "db"))
            .AddIsolatedNetwork((provider, net) =>
            {
                var names = provider.GetRequiredService<HostNames>();
                return net.AddHost(names.First).AddHost(names.Second).Link(names.First, names.Second);
            });
        await using var provider = services.BuildServiceProvider();

        Assert.Equal(IPAddress.Parse("10.0.1.2"), provider.GetRequiredKeyedService<NetHost>("db").PrimaryIPv4);
    }

    [PrivilegedFact]
    public async Task A_named_HttpClient_connects_from_inside_its_host_and_resolves_host_names()
    {
        await using var provider = new ServiceCollection().AddIsolatedNetwork(Lan).BuildServiceProvider();
        await using var server = new TinyHttpServer(provider.GetRequiredKeyedService<NetHost>("server"), 8080);
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        var fromClient = await factory.CreateClient("client").GetStringAsync(new Uri("http://server:8080/"));
        var fromServer = await factory.CreateClient("server").GetStringAsync(new Uri("http://server:8080/"));
        var byAddress = await factory.CreateClient("client").GetStringAsync(new Uri("http://[fd7a:15e:0:1::1]:8080/"));

        Assert.Equal("hello 10.0.1.2", fromClient);
        Assert.Equal("hello 10.0.1.1", fromServer);
        Assert.Equal("hello fd7a:15e:0:1::2", byAddress);
    }

    [PrivilegedFact]
    public async Task Clients_named_after_no_host_keep_their_own_handler()
    {
        await using var provider = new ServiceCollection().AddIsolatedNetwork(Lan).BuildServiceProvider();
        var handlers = provider.GetRequiredService<IHttpMessageHandlerFactory>();

        Assert.True(PrimaryOf(handlers.CreateHandler("client")) is SocketsHttpHandler { ConnectCallback: not null, UseProxy: false });
        Assert.False(PrimaryOf(handlers.CreateHandler("github")) is SocketsHttpHandler { ConnectCallback: not null });
    }

    [PrivilegedTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Disposing_the_provider_closes_pooled_connections_and_releases_every_namespace(bool disposeAsync)
    {
        var provider = new ServiceCollection().AddIsolatedNetwork(Lan).BuildServiceProvider();
        var topology = provider.GetRequiredService<Topology>();
        var inodes = topology.Hosts.Select(h => h.Namespace.Inode).ToHashSet();
        var server = new TinyHttpServer(topology["server"], 8080);
        try
        {
            var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("client");
            // Happy Eyeballs races IPv6 against IPv4 when IPv4 is slow to connect, so either address may
            // answer; the second request must reuse the first one's connection.
            string first = await client.GetStringAsync(new Uri("http://server:8080/"));
            Assert.Contains(first, new[] { "hello 10.0.1.2", "hello fd7a:15e:0:1::2" });
            Assert.Equal(first, await client.GetStringAsync(new Uri("http://server:8080/")));
            Assert.Equal(1, server.ConnectionCount); // kept alive in the factory's handler pool
            Assert.False(server.ClientClosed.IsCompleted);

            if (disposeAsync)
            {
                await provider.DisposeAsync();
            }
            else
            {
                provider.Dispose();
            }

            // The pooled connection was closed by the provider, not by a timeout of the pool.
            await server.ClientClosed.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Throws<ObjectDisposedException>(() => topology["server"].Namespace.GetLinks());
        }
        finally
        {
            await server.DisposeAsync();
        }

        // Nothing of this process holds the namespaces any more: no namespace fd, no socket inside.
        Assert.Empty(ProcessNamespaces.HeldAmong(inodes));
        Assert.Throws<ObjectDisposedException>(() => provider.GetRequiredService<Topology>());
    }

    [PrivilegedFact]
    public async Task A_provider_that_never_built_the_topology_disposes_without_building_it()
    {
        var logs = new CapturingLoggerProvider();
        var provider = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug))
            .AddIsolatedNetwork(Lan)
            .BuildServiceProvider();
        _ = provider.GetRequiredService<IHttpClientFactory>();

        await provider.DisposeAsync();

        Assert.DoesNotContain(logs.Entries, e => e.Category == "Isolated.Net.Topology");
    }

    private static HttpMessageHandler PrimaryOf(HttpMessageHandler handler)
    {
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }
        return handler;
    }

    private sealed record HostNames(string First, string Second);

    private sealed class ServerConsumer([FromKeyedServices("server")] NetHost server)
    {
        public NetHost Server { get; } = server;
    }
}
