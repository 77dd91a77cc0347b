using System.Net;
using System.Net.Sockets;
using Isolated.Net.Interop;
using Isolated.Net.Netlink;
using Microsoft.Extensions.Logging;

namespace Isolated.Net.Faults;

// Impairments: bandwidth (tbf) and netem as the sending end's root qdisc, loss in the receiving end's filter.
internal sealed partial class TopologyFaults
{
    /// <summary>Impairs the traffic leaving (outbound) or arriving at (inbound) a host interface.</summary>
    public void Impair(HostInterface hostInterface, bool outbound, KernelImpairment impairment)
    {
        ArgumentNullException.ThrowIfNull(impairment);
        impairment.Validate();
        if (impairment.NeedsNetem && KernelFeatures.Netem.SkipReason is { } netemMissing)
        {
            throw new NotSupportedException($"{impairment} on {hostInterface} needs the netem qdisc, and {netemMissing}. Bandwidth and loss work without it.");
        }
        if (impairment.BandwidthBitsPerSecond is not null)
        {
            RequireFeature(KernelFeatures.TokenBucket);
        }
        if (impairment.LossPercent > 0)
        {
            RequireFeature(KernelFeatures.BpfClassifier);
        }
        lock (_lock)
        {
            var (sender, receiver) = outbound
                ? (HostDevice(hostInterface), PeerDevice(hostInterface))
                : (PeerDevice(hostInterface), HostDevice(hostInterface));
            sender.Leaving = impairment;
            receiver.Arriving = impairment;
            receiver.WrittenLoss = (-1, 0); // applying again restarts the packet count
            ReconcileQdisc(sender);
            ReconcileFilter(receiver);
            if (receiver.Host is { } host)
            {
                UpdateCutMap(host);
            }
            if (logger?.IsEnabled(LogLevel.Information) == true)
            {
                logger.LogInformation("Impaired {Direction} traffic of {Interface}: {Impairment}", outbound ? "outbound" : "inbound", hostInterface, impairment);
            }
        }
    }

    public KernelImpairment GetImpairment(HostInterface hostInterface, bool outbound)
    {
        lock (_lock)
        {
            return _hostDevices.TryGetValue(hostInterface, out var device)
                ? (outbound ? device.Leaving : device.Arriving)
                : KernelImpairment.None;
        }
    }

    // Equivalent to: tc qdisc del dev IFACE root; tc qdisc add dev IFACE root handle 1: tbf ...; tc qdisc add dev IFACE parent 1:1 handle 10: netem ...
    private void ReconcileQdisc(FaultDevice device)
    {
        var wanted = device.Leaving with { LossPercent = 0 };
        if (!wanted.NeedsNetem)
        {
            wanted = wanted with { Seed = 0 };
        }
        KernelImpairment? target = wanted.IsNone ? null : wanted;
        if (Equals(target, device.InstalledQdisc))
        {
            return;
        }
        var netlink = device.Namespace.Netlink;
        if (device.InstalledQdisc is not null)
        {
            netlink.Execute(RouteRequest.DeleteRootQdisc(device.Index));
            device.InstalledQdisc = null;
        }
        if (target is null)
        {
            return;
        }
        var requests = new List<RouteRequest>();
        if (target.BandwidthBitsPerSecond is long rate)
        {
            var (burst, limit) = TokenBucketSizes(rate, MtuOf(device));
            requests.Add(RouteRequest.AddTokenBucket(device.Index, rate, burst, limit));
        }
        if (target.NeedsNetem)
        {
            requests.Add(RouteRequest.AddNetem(device.Index, underTokenBucket: target.BandwidthBitsPerSecond is not null, new NetemSettings
            {
                Latency = target.Latency,
                Jitter = target.Jitter,
                DuplicatePercent = target.DuplicatePercent,
                ReorderPercent = target.ReorderPercent,
                Seed = LossPattern.SeedValue(target.Seed),
            }));
        }
        try
        {
            netlink.Execute([.. requests]);
        }
        catch when (requests.Count > 1)
        {
            try
            {
                netlink.Execute(RouteRequest.DeleteRootQdisc(device.Index)); // do not leave half of it
            }
            catch (NetworkOperationException)
            {
                // The first qdisc did not get in either.
            }
            throw;
        }
        device.InstalledQdisc = target;
    }

    // The bucket holds 10 ms of traffic but at least two full frames (a smaller one stalls on every
    // large packet). The queue holds 200 ms more, but at least three 64 KiB GSO packets: tbf cuts a
    // GSO packet into frames and drops those that do not fit, and with the usual "latency 400ms"
    // sizing (50 KB at 1 Mbit/s) TCP loses so much that it gets only 70-80% of the rate on a veth.
    internal static (int Burst, int Limit) TokenBucketSizes(long bitsPerSecond, int mtu)
    {
        long bytesPerSecond = bitsPerSecond / 8;
        long burst = Math.Max(2L * (mtu + EthernetHeader), bytesPerSecond / 100);
        long limit = burst + Math.Max(bytesPerSecond / 5, 3 * 64 * 1024);
        return ((int)Math.Min(burst, int.MaxValue / 2), (int)Math.Min(limit, int.MaxValue));
    }

    private int MtuOf(FaultDevice device) =>
        _hostDevices.Concat(_hubPorts).First(p => ReferenceEquals(p.Value, device)).Key.Mtu;

    // Equivalent to: bpftool map update id LOSSMAP key 0 value {counter 0, seed, threshold}
    private void WriteLoss(FaultDevice device)
    {
        var wanted = device.Arriving.LossPercent > 0 ? (device.Arriving.LossPercent, device.Arriving.Seed) : (0, 0);
        if (wanted == device.WrittenLoss)
        {
            return;
        }
        using var map = OpenMap(device.LossMapId, FaultFilterProgram.LossMapName);
        Span<byte> value = stackalloc byte[FaultFilterProgram.LossValueSize];
        value.Clear();
        BitConverter.TryWriteBytes(value[8..], LossPattern.SeedValue(wanted.Item2));
        BitConverter.TryWriteBytes(value[16..], LossPattern.Threshold(wanted.Item1));
        BpfSyscalls.UpdateElement(map, stackalloc byte[4], value, $"the loss settings of {device}");
        device.WrittenLoss = wanted;
    }
}
