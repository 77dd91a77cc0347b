using System.Net;
using System.Net.Sockets;
using Isolated.Net.Interop;
using Isolated.Net.Netlink;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Faults;

// The fault filter: a BPF classifier on a clsact ingress hook, attached while a device has cuts or loss.
internal sealed partial class TopologyFaults
{
    private const ushort FilterPriority = 1;

    private const int EthernetHeader = 14;

    private void ReconcileFilter(FaultDevice device)
    {
        bool wanted = (device.Host is { } host && HasCuts(host)) || device.Arriving.LossPercent > 0;
        if (wanted && !device.FilterAttached)
        {
            AttachFilter(device);
        }
        else if (!wanted && device.FilterAttached)
        {
            DetachFilter(device);
        }
        if (device.FilterAttached)
        {
            WriteLoss(device);
        }
    }

    // Equivalent to: tc qdisc add dev IFACE clsact; tc filter add dev IFACE ingress pref 1 handle 1 bpf da fd PROGRAM
    private void AttachFilter(FaultDevice device)
    {
        CutMap? cutMap = device.Host is { } host ? CutMapOf(host) : null;
        BpfObjectHandle? cut = null;
        try
        {
            if (cutMap is not null)
            {
                cut = cutMap.Users > 0
                    ? OpenMap(cutMap.Id, FaultFilterProgram.CutMapName)
                    : BpfSyscalls.CreateMap(BPF_MAP_TYPE_HASH, FaultFilterProgram.CutKeySize, FaultFilterProgram.CutValueSize, FaultFilterProgram.CutMapEntries, FaultFilterProgram.CutMapName);
            }
            using var loss = BpfSyscalls.CreateMap(BPF_MAP_TYPE_ARRAY, sizeof(uint), FaultFilterProgram.LossValueSize, 1, FaultFilterProgram.LossMapName);
            using var program = BpfSyscalls.LoadClassifier(FaultFilterProgram.Build(cut?.Fd, loss.Fd), FaultFilterProgram.ProgramName, FaultFilterProgram.License);
            var netlink = device.Namespace.Netlink;
            bool ours = true;
            try
            {
                netlink.Execute(RouteRequest.AddClsact(device.Index));
            }
            catch (NameInUseException)
            {
                ours = false; // someone's clsact: share it, remove only our filter later
            }
            try
            {
                netlink.Execute(RouteRequest.AddBpfFilter(device.Index, ingress: true, FilterPriority, program, FaultFilterProgram.ProgramName));
            }
            catch when (ours)
            {
                netlink.Execute(RouteRequest.DeleteClsact(device.Index));
                throw;
            }
            device.FilterAttached = true;
            device.ClsactIsOurs = ours;
            device.LossMapId = BpfSyscalls.MapInfo(loss).Id;
            device.WrittenLoss = (0, 0); // a fresh array map reads as zeros: no loss
            if (cutMap is not null)
            {
                if (cutMap.Users == 0)
                {
                    cutMap.Id = BpfSyscalls.MapInfo(cut!).Id;
                    cutMap.Installed.Clear();
                }
                cutMap.Users++;
            }
        }
        finally
        {
            cut?.Dispose();
        }
    }

    // Equivalent to: tc qdisc del dev IFACE clsact (or, on a clsact we found, tc filter del dev IFACE ingress pref 1)
    private void DetachFilter(FaultDevice device)
    {
        var netlink = device.Namespace.Netlink;
        netlink.Execute(device.ClsactIsOurs
            ? RouteRequest.DeleteClsact(device.Index)
            : RouteRequest.DeleteFilter(device.Index, ingress: true, FilterPriority));
        device.FilterAttached = false;
        device.LossMapId = 0;
        if (device.Host is { } host && CutMapOf(host) is { } cutMap && --cutMap.Users == 0)
        {
            cutMap.Id = 0; // the last program holding it is gone, and the map with it
            cutMap.Installed.Clear();
        }
    }
}
