using FluentAssertions.Execution;

namespace Isolated.Net.FluentAssertions;

// The kernel's view of one interface end, read by an rtnetlink link dump of its host's namespace. Flags
// rather than operstate: IFF_UP and IFF_LOWER_UP change at once, operstate follows up to a second later.
internal readonly record struct InterfaceState(HostInterface Interface, LinkInfo? Link)
{
    public bool PassesTraffic => Link is { IsUp: true, HasCarrier: true };

    public static InterfaceState Read(HostInterface hostInterface) =>
        new(hostInterface, hostInterface.Host.Namespace.GetLinks().FirstOrDefault(l => l.Name == hostInterface.Name));

    // Up: every end passes frames. Down: none does. One end of a link or a single interface alike.
    public static void Assert(string subject, IEnumerable<HostInterface> ends, bool expectUp, string because, object[] becauseArgs)
    {
        var states = ends.Select(Read).ToList();
        bool matches = expectUp ? states.TrueForAll(s => s.PassesTraffic) : states.TrueForAll(s => !s.PassesTraffic);
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(matches)
            .FailWith($"Expected {subject} to be {(expectUp ? "up" : "down")}{{reason}}, but the kernel shows {string.Join(" and ", states)}.");
    }

    // In iproute2's words: "a:eth0 UP,LOWER_UP", "b:eth0 DOWN", "a:eth0 UP,NO-CARRIER", "a:eth0 missing".
    public override string ToString() => Link switch
    {
        null => $"{Interface} missing",
        { IsUp: false } => $"{Interface} DOWN",
        { HasCarrier: false } => $"{Interface} UP,NO-CARRIER",
        _ => $"{Interface} UP,LOWER_UP",
    };
}
