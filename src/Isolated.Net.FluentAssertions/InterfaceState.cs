namespace Isolated.Net.FluentAssertions;

// The kernel's view of one interface end, read by an rtnetlink link dump of its host's namespace. Flags
// rather than operstate: IFF_UP and IFF_LOWER_UP change at once, operstate follows up to a second later.
internal readonly record struct InterfaceState(HostInterface Interface, LinkInfo? Link)
{
    public bool PassesTraffic => Link is { IsUp: true, HasCarrier: true };

    public static InterfaceState Read(HostInterface hostInterface) =>
        new(hostInterface, hostInterface.Host.Namespace.GetLinks().FirstOrDefault(l => l.Name == hostInterface.Name));

    // In iproute2's words: "a:eth0 UP,LOWER_UP", "b:eth0 DOWN", "a:eth0 UP,NO-CARRIER", "a:eth0 missing".
    public override string ToString() => Link switch
    {
        null => $"{Interface} missing",
        { IsUp: false } => $"{Interface} DOWN",
        { HasCarrier: false } => $"{Interface} UP,NO-CARRIER",
        _ => $"{Interface} UP,LOWER_UP",
    };
}
