using System.Net;
using System.Net.Sockets;

namespace Isolated.Net.Namespaces;

// Connection racing after RFC 8305 (Happy Eyeballs v2), without its DNS part: the addresses come
// resolved, in the caller's preferred order. Families alternate from the first address's family (section 4);
// the next attempt starts when the previous one fails or after AttemptDelay (section 5, 250 ms
// recommended); the first connected socket wins and every other attempt is cancelled, its socket closed.
internal static class HappyEyeballs
{
    public static readonly TimeSpan AttemptDelay = TimeSpan.FromMilliseconds(250);

    // [a4, b4, a6, b6] with IPv4 first becomes [a4, a6, b4, b6].
    public static IReadOnlyList<IPAddress> Interleave(IReadOnlyList<IPAddress> addresses)
    {
        if (addresses.Count == 0)
        {
            return addresses;
        }
        var first = addresses.Where(a => a.AddressFamily == addresses[0].AddressFamily).ToList();
        var other = addresses.Where(a => a.AddressFamily != addresses[0].AddressFamily).ToList();
        var ordered = new List<IPAddress>(addresses.Count);
        for (int i = 0; i < Math.Max(first.Count, other.Count); i++)
        {
            if (i < first.Count)
            {
                ordered.Add(first[i]);
            }
            if (i < other.Count)
            {
                ordered.Add(other[i]);
            }
        }
        return ordered;
    }

    // Races attempt over the addresses. When all fail it throws the failure of the first (preferred)
    // address: the one a program that tries only the first address would report, and the one a
    // message naming the preferred address should explain.
    public static async Task<Socket> ConnectAsync(
        IReadOnlyList<IPAddress> addresses, Func<IPAddress, CancellationToken, Task<Socket>> attempt, CancellationToken cancellationToken)
    {
        var ordered = Interleave(addresses);
        if (ordered.Count == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }
        using var race = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = new List<Task<Socket>>();
        var started = new List<Task<Socket>>();
        int next = 0;
        try
        {
            while (true)
            {
                if (next < ordered.Count)
                {
                    var task = attempt(ordered[next++], race.Token);
                    pending.Add(task);
                    started.Add(task);
                }
                if (pending.Count == 0)
                {
                    break;
                }
                var delay = Task.Delay(next < ordered.Count ? AttemptDelay : Timeout.InfiniteTimeSpan, race.Token);
                var done = await Task.WhenAny([.. pending, delay]).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (done is not Task<Socket> finished)
                {
                    continue; // the delay passed: start the next address alongside
                }
                pending.Remove(finished);
                if (finished.IsCompletedSuccessfully)
                {
                    return finished.Result;
                }
            }
        }
        finally
        {
            race.Cancel();
            foreach (var loser in pending)
            {
                // A connect that completes while being cancelled still hands over a socket: close it.
                _ = loser.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }
        // Every attempt failed; awaiting the first rethrows its exception with its stack.
        return await started[0].ConfigureAwait(false);
    }
}
