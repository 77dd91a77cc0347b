using FluentAssertions;
using FluentAssertions.Execution;
using FluentAssertions.Primitives;

namespace Isolated.Net.FluentAssertions;

/// <summary>
/// Assertions on one <see cref="HostInterface"/> (a host's end of a link or its port on a switch),
/// checked against the kernel's flags for it inside the host's namespace. Made by <c>hostInterface.Should()</c>.
/// </summary>
public sealed class HostInterfaceAssertions : ReferenceTypeAssertions<HostInterface, HostInterfaceAssertions>
{
    /// <summary>Wraps <paramref name="subject"/>; use <c>hostInterface.Should()</c>.</summary>
    /// <param name="subject">The interface under test.</param>
    public HostInterfaceAssertions(HostInterface subject)
        : base(subject)
    {
    }

    /// <inheritdoc />
    protected override string Identifier => "interface";

    /// <summary>Asserts that the interface is up with carrier (UP,LOWER_UP): for a switch port, the switch side is up too.</summary>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<HostInterfaceAssertions> BeUp(string because = "", params object[] becauseArgs) =>
        AssertState(expectUp: true, because, becauseArgs);

    /// <summary>Asserts that the interface passes no frames: down, without carrier, or gone.</summary>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<HostInterfaceAssertions> BeDown(string because = "", params object[] becauseArgs) =>
        AssertState(expectUp: false, because, becauseArgs);

    private AndConstraint<HostInterfaceAssertions> AssertState(bool expectUp, string because, object[] becauseArgs)
    {
        if (Subject is null)
        {
            Execute.Assertion.BecauseOf(because, becauseArgs).FailWith("Expected an interface{reason}, but found <null>.");
        }
        else
        {
            InterfaceState.Assert("interface " + Subject, [Subject], expectUp, because, becauseArgs);
        }
        return new AndConstraint<HostInterfaceAssertions>(this);
    }
}
