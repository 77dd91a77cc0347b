namespace Isolated.Net;

/// <summary>A point-to-point link: a veth pair whose ends live in two hosts.</summary>
public sealed partial class Link
{
    internal Link(string name, HostInterface first, HostInterface second)
    {
        Name = name;
        First = first;
        Second = second;
    }

    /// <summary>The link's name, "first&lt;-&gt;second".</summary>
    public string Name { get; }

    /// <summary>The first host's end.</summary>
    public HostInterface First { get; }

    /// <summary>The second host's end.</summary>
    public HostInterface Second { get; }

    /// <inheritdoc />
    public override string ToString() => $"link {Name}";
}
