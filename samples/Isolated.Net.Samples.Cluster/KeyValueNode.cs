using Isolated.Net;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

// One node of the cluster: a minimal API on Kestrel whose listen socket lives inside the node's host,
// so it is reachable only at the host's addresses (10.0.1.x and fd7a:15e:0:1::x), port 8080.
//   GET /health      -> "nodeN ok"
//   PUT /kv/{key}    -> stores the request body
//   GET /kv/{key}    -> the stored value, or 404
internal sealed class KeyValueNode : IAsyncDisposable
{
    public const int Port = 8080;

    private readonly WebApplication _app;

    private KeyValueNode(WebApplication app) => _app = app;

    public static async Task<KeyValueNode> StartAsync(NetHost host, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        // A client cut off by a partition never closes its connection cleanly: do not wait for it long.
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(1));
        // ListenAnyIP is [::]:8080, dual-stack. Kestrel creates that socket through
        // CreateBoundListenSocket: creating it on the host's namespace thread puts it, and every
        // connection Kestrel accepts from it, inside the host.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(Port));
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket =
            endpoint => host.Run(() => SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint)));

        var app = builder.Build();
        var store = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        app.MapGet("/health", () => $"{host.Name} ok");
        app.MapPut("/kv/{key}", async (string key, HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            store[key] = await reader.ReadToEndAsync();
            return Results.NoContent();
        });
        app.MapGet("/kv/{key}", (string key) => store.TryGetValue(key, out var value) ? Results.Text(value) : Results.NotFound());
        await app.StartAsync(cancellationToken);
        return new KeyValueNode(app);
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _app.StopAsync(stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopping is bounded; what is left goes with the host's namespace.
        }
        await _app.DisposeAsync();
    }
}
