using Isolated.Net;
using Isolated.Net.DependencyInjection;
using Microsoft.Extensions.Http;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers an Isolated.Net topology with a service collection: the <see cref="Topology"/> as a
/// singleton built on first resolution, each host as a keyed <see cref="NetHost"/> under its name, and a
/// named <see cref="HttpClient"/> per host whose connections start inside that host.
/// </summary>
/// <remarks>
/// <para>
/// <b>Build on first resolve.</b> Dependency injection has no async factories, and
/// <see cref="TopologyBuilder.Build()"/> is synchronous netlink work (milliseconds per host), so the
/// topology is built the first time anything that needs it is resolved — the <see cref="Topology"/>, a
/// keyed <see cref="NetHost"/>, or a host's named HttpClient — with no sync-over-async. A build failure
/// (validation, privileges) is thrown from that resolution and again from every later one. To fail fast,
/// resolve <see cref="Topology"/> right after building the provider (or at host start-up).
/// </para>
/// <para>
/// <b>Hosts.</b> <c>[FromKeyedServices("server")] Host server</c> or
/// <c>provider.GetRequiredKeyedService&lt;NetHost&gt;("server")</c>; an unknown name throws
/// <see cref="KeyNotFoundException"/> listing the hosts there are.
/// </para>
/// <para>
/// <b>HttpClients.</b> <c>factory.CreateClient("client")</c> returns a client whose primary handler is
/// <see cref="NetHost.CreateHttpMessageHandler"/> of host "client": connections are opened inside that
/// host, and topology host names resolve (<c>http://server:8080/</c>). The client name is the
/// <em>source</em> host. Other client names are left alone, but creating one also builds the topology,
/// because the names are only known once it is built.
/// </para>
/// <para>
/// <b>Logging.</b> With an <c>ILoggerFactory</c> registered, build and teardown are logged at Debug and
/// failures at Warning under the category <c>Isolated.Net.Topology</c>. A logger set with
/// <see cref="TopologyBuilder.WithLogger"/> inside the configure delegate replaces it.
/// </para>
/// <para>
/// <b>Disposal.</b> Disposing the service provider (preferably with <c>DisposeAsync</c>) disposes the
/// primary handlers given to IHttpClientFactory — closing their pooled connections, whose sockets would
/// otherwise keep the namespaces alive — and then the topology. Sockets you open yourself are yours to close.
/// </para>
/// </remarks>
public static class IsolatedNetworkServiceCollectionExtensions
{
    /// <summary>Registers the topology <paramref name="configure"/> describes. See the class remarks.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Extends the builder it is given (which already carries the logger) and returns the result.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="InvalidOperationException">An isolated network is already registered in <paramref name="services"/>.</exception>
    /// <example>
    /// <code>
    /// services.AddIsolatedNetwork(net => net
    ///     .AddSwitch("lan")
    ///     .AddHost("server").Connect("server", "lan")
    ///     .AddHost("client").Connect("client", "lan"));
    /// </code>
    /// </example>
    public static IServiceCollection AddIsolatedNetwork(this IServiceCollection services, Func<TopologyBuilder, TopologyBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddIsolatedNetworkCore(services, (_, builder) => configure(builder));
    }

    /// <summary>
    /// Registers the topology <paramref name="configure"/> describes, with access to other services (for
    /// example options) when the topology is built. See the class remarks.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Receives the service provider and the builder; returns the extended builder.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="InvalidOperationException">An isolated network is already registered in <paramref name="services"/>.</exception>
    public static IServiceCollection AddIsolatedNetwork(this IServiceCollection services, Func<IServiceProvider, TopologyBuilder, TopologyBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddIsolatedNetworkCore(services, configure);
    }

    private static IServiceCollection AddIsolatedNetworkCore(IServiceCollection services, Func<IServiceProvider, TopologyBuilder, TopologyBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(IsolatedNetwork)))
        {
            throw new InvalidOperationException("AddIsolatedNetwork was already called on this service collection: it holds one topology; describe every host, switch and link in one builder.");
        }

        services.AddSingleton(provider => new IsolatedNetwork(provider, configure));
        services.AddSingleton(provider => provider.GetRequiredService<IsolatedNetwork>().Topology);
        // Host names are known only once the description is built, so one registration answers every key.
        services.AddKeyedSingleton(KeyedService.AnyKey, (provider, key) => provider.GetRequiredService<IsolatedNetwork>().GetHost(key));
        services.AddHttpClient();
        services.ConfigureAll<HttpClientFactoryOptions>(options => options.HttpMessageHandlerBuilderActions.Add(
            handlerBuilder => handlerBuilder.Services.GetRequiredService<IsolatedNetwork>().UseHostHandler(handlerBuilder)));
        return services;
    }
}
