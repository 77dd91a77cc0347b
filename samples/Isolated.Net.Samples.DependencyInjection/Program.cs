// A generic-host (ASP.NET Core) application spread over an isolated network:
//   - a minimal API on Kestrel whose listen socket lives inside host 'server' (10.0.1.1:8080),
//   - a BackgroundService that calls it from host 'client' by host name through IHttpClientFactory.
// Nothing listens or connects in the root namespace. Exits 0 when the reply proves both ends.
using System.Net;
using Isolated.Net;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

if (!NetworkPrivileges.AreSufficient)
{
    Console.Error.WriteLine($"This sample {NetworkPrivileges.MissingReason}: run it as root.");
    return 2;
}

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddIsolatedNetwork(net => net
    .AddSwitch("lan")
    .AddHost("server").Connect("server", "lan")
    .AddHost("client").Connect("client", "lan"));

// Kestrel creates its listen socket through CreateBoundListenSocket: doing that on the server's
// namespace thread puts the socket, and so every connection Kestrel accepts, inside host 'server'.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(8080));
builder.Services.AddOptions<SocketTransportOptions>()
    .Configure<Topology>((sockets, topology) => sockets.CreateBoundListenSocket =
        endpoint => topology["server"].Run(() => SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint)));

builder.Services.AddHostedService<ClientWorker>();

var app = builder.Build();

// Request handlers run on ordinary thread-pool threads: only the sockets are in the namespace. Code
// here that calls other hosts should use IHttpClientFactory's client named "server".
app.MapGet("/hello", (HttpContext context) =>
    $"hello {Unmapped(context.Connection.RemoteIpAddress)} from {Unmapped(context.Connection.LocalIpAddress)}");

Environment.ExitCode = 1; // until the client has seen the right reply
await app.RunAsync();
return Environment.ExitCode;

static IPAddress? Unmapped(IPAddress? address) => address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;

// Calls the server from inside host 'client' once the application (and so Kestrel) has started, then
// stops the application with exit code 0 when the reply names both hosts' addresses. NetHost sits beside
// Microsoft.Extensions.Hosting (an implicit using of web projects, with its own Host) without qualification.
internal sealed partial class ClientWorker(
    IHttpClientFactory httpClients,
    [FromKeyedServices("client")] NetHost client,
    [FromKeyedServices("server")] NetHost server,
    IHostApplicationLifetime lifetime,
    ILogger<ClientWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WhenStartedAsync(stoppingToken);
            var http = httpClients.CreateClient("client"); // connections start inside host 'client'
            var reply = await http.GetStringAsync(new Uri("http://server:8080/hello"), stoppingToken);
            Console.WriteLine($"client -> server: {reply}");
            var expected = $"hello {client.PrimaryIPv4} from {server.PrimaryIPv4}";
            // 10.0.1.1 and 10.0.1.2 exist only inside the two hosts: the reply proves where both ends were.
            if (reply == expected)
            {
                Environment.ExitCode = 0;
            }
            else
            {
                LogUnexpectedReply(logger, expected, reply);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            LogCallFailed(logger, ex);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Expected the reply '{Expected}', got '{Reply}'")]
    private static partial void LogUnexpectedReply(ILogger logger, string expected, string reply);

    [LoggerMessage(Level = LogLevel.Error, Message = "The client could not call the server")]
    private static partial void LogCallFailed(ILogger logger, Exception exception);

    private Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(stoppingToken);
    }
}
