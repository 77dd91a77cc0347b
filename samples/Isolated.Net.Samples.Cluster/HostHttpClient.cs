using Isolated.Net;
using System.Collections.Concurrent;
using System.Diagnostics;

// HTTP from inside one host of the topology, with a time limit on every request, and a count of the
// TCP connections it opened per target: a request that times out without opening a connection was
// stalled on an established (kept-alive) one.
internal sealed class HostHttpClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, int> _connects = new(StringComparer.Ordinal);

    public HostHttpClient(NetHost host)
    {
        Host = host;
        var handler = host.CreateHttpMessageHandler(); // connects inside the host, resolves host names
        var connect = handler.ConnectCallback!;
        handler.ConnectCallback = (context, cancellationToken) =>
        {
            _connects.AddOrUpdate(context.DnsEndPoint.Host, 1, (_, count) => count + 1);
            return connect(context, cancellationToken);
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public NetHost Host { get; }

    public int ConnectionsOpenedTo(string target) => _connects.GetValueOrDefault(target.Trim('[', ']'));

    public Task<Outcome> GetAsync(string target, string path, TimeSpan timeout) =>
        SendAsync(HttpMethod.Get, target, path, content: null, timeout);

    public Task<Outcome> PutAsync(string target, string path, string value, TimeSpan timeout) =>
        SendAsync(HttpMethod.Put, target, path, new StringContent(value), timeout);

    private async Task<Outcome> SendAsync(HttpMethod method, string target, string path, HttpContent? content, TimeSpan timeout)
    {
        using var request = new HttpRequestMessage(method, new Uri($"http://{target}:{KeyValueNode.Port}{path}")) { Content = content };
        using var limit = new CancellationTokenSource(timeout);
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request, limit.Token);
            var body = await response.Content.ReadAsStringAsync(limit.Token);
            return new Outcome((int)response.StatusCode < 500, watch.Elapsed, response.IsSuccessStatusCode ? body : $"{(int)response.StatusCode} {response.ReasonPhrase}", TimedOut: false);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            return new Outcome(false, watch.Elapsed, $"no reply within {timeout.TotalMilliseconds:0} ms", TimedOut: true);
        }
        catch (HttpRequestException ex)
        {
            return new Outcome(false, watch.Elapsed, ex.Message, TimedOut: false);
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>What one request did: answered (with the body) or not (and why), and how long it took.</summary>
internal sealed record Outcome(bool Answered, TimeSpan Elapsed, string Detail, bool TimedOut)
{
    public override string ToString() => Answered
        ? $"\"{Detail}\" in {Elapsed.TotalMilliseconds:0.00} ms"
        : $"{(TimedOut ? "TIMEOUT" : "FAILED")}: {Detail}";
}
