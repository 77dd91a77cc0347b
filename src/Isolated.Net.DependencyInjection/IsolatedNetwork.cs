using Isolated.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;

namespace Isolated.Net.DependencyInjection;

// The container-owned lifetime of one topology: builds it on first use, hands out hosts and per-host
// HTTP handlers, and on disposal closes those handlers (their pooled sockets would keep the namespaces
// alive) before disposing the topology. IHttpClientFactory itself never disposes handlers on container
// disposal, only after they expire and are collected.
internal sealed class IsolatedNetwork : IAsyncDisposable, IDisposable
{
    private readonly Lazy<Topology> _topology;
    private readonly ILogger? _logger;
    private readonly List<WeakReference<SocketsHttpHandler>> _handlers = [];
    private readonly Lock _handlersLock = new();
    private int _disposed;

    public IsolatedNetwork(IServiceProvider services, Func<IServiceProvider, TopologyBuilder, TopologyBuilder> configure)
    {
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger<Topology>();
        // ExecutionAndPublication: one build even under concurrent first resolutions; a failure is kept
        // and rethrown to every later caller instead of retried.
        _topology = new Lazy<Topology>(() => Build(services, configure), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public Topology Topology
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _topology.Value;
        }
    }

    public NetHost GetHost(object? key) => key is string name
        ? Topology[name]
        : throw new InvalidOperationException($"Isolated.Net hosts are registered under their names (string keys); the key {key ?? "null"} ({key?.GetType().Name ?? "null"}) is not a host name.");

    // Runs for every named client the factory builds; only names of hosts get a host's handler.
    public void UseHostHandler(HttpMessageHandlerBuilder handlerBuilder)
    {
        var name = handlerBuilder.Name;
        if (string.IsNullOrEmpty(name))
        {
            return;
        }
        var host = Topology.Hosts.FirstOrDefault(h => h.Name == name);
        if (host is null)
        {
            return;
        }
        var handler = host.CreateHttpMessageHandler();
        lock (_handlersLock)
        {
            if (_disposed != 0)
            {
                handler.Dispose();
                throw new ObjectDisposedException(nameof(IsolatedNetwork));
            }
            _handlers.RemoveAll(h => !h.TryGetTarget(out _));
            _handlers.Add(new WeakReference<SocketsHttpHandler>(handler));
        }
        handlerBuilder.PrimaryHandler = handler;
    }

    public void Dispose()
    {
        List<SocketsHttpHandler> handlers = [];
        lock (_handlersLock)
        {
            if (_disposed != 0)
            {
                return;
            }
            _disposed = 1;
            foreach (var reference in _handlers)
            {
                if (reference.TryGetTarget(out var handler))
                {
                    handlers.Add(handler);
                }
            }
            _handlers.Clear();
        }
        foreach (var handler in handlers)
        {
            try
            {
                handler.Dispose();
            }
            catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
            {
                if (_logger?.IsEnabled(LogLevel.Warning) == true)
                {
                    _logger.LogWarning(ex, "Disposing an HTTP handler of the isolated network failed; its connections may keep a namespace alive until collected");
                }
            }
        }
        if (_logger?.IsEnabled(LogLevel.Debug) == true && handlers.Count > 0)
        {
            _logger.LogDebug("Closed {HandlerCount} per-host HTTP handlers with the service provider", handlers.Count);
        }
        if (_topology.IsValueCreated)
        {
            _topology.Value.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private Topology Build(IServiceProvider services, Func<IServiceProvider, TopologyBuilder, TopologyBuilder> configure)
    {
        var builder = _logger is null ? new TopologyBuilder() : new TopologyBuilder().WithLogger(_logger);
        builder = configure(services, builder)
            ?? throw new InvalidOperationException("The AddIsolatedNetwork configure delegate returned null: return the builder it was given, extended.");
        try
        {
            return builder.Build();
        }
        catch (TopologyValidationException ex)
        {
            // The builder logs failures of the build itself; a description rejected before it is not.
            if (_logger?.IsEnabled(LogLevel.Warning) == true)
            {
                _logger.LogWarning(ex, "The isolated network registered with AddIsolatedNetwork is invalid");
            }
            throw;
        }
    }
}
