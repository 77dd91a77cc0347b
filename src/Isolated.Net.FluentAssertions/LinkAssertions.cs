using FluentAssertions;
using FluentAssertions.Execution;
using FluentAssertions.Primitives;

namespace Isolated.Net.FluentAssertions;

/// <summary>
/// Assertions on a point-to-point <see cref="Link"/>, checked against the kernel's state of both veth
/// ends (IFF_UP and IFF_LOWER_UP, read from each end's namespace). Made by <c>link.Should()</c>.
/// </summary>
public sealed class LinkAssertions : ReferenceTypeAssertions<Link, LinkAssertions>
{
    /// <summary>Wraps <paramref name="subject"/>; use <c>link.Should()</c>.</summary>
    /// <param name="subject">The link under test.</param>
    public LinkAssertions(Link subject)
        : base(subject)
    {
    }

    /// <inheritdoc />
    protected override string Identifier => "link";

    /// <summary>Asserts that both ends are administratively up and have carrier (UP,LOWER_UP), so frames can pass.</summary>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<LinkAssertions> BeUp(string because = "", params object[] becauseArgs) =>
        AssertState(expectUp: true, because, becauseArgs);

    /// <summary>
    /// Asserts that neither end passes frames: each is down, has no carrier or is gone. Setting one veth
    /// end down takes the carrier from the other, so one end brought down makes the whole link down.
    /// </summary>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<LinkAssertions> BeDown(string because = "", params object[] becauseArgs) =>
        AssertState(expectUp: false, because, becauseArgs);

    private AndConstraint<LinkAssertions> AssertState(bool expectUp, string because, object[] becauseArgs)
    {
        if (Subject is null)
        {
            Execute.Assertion.BecauseOf(because, becauseArgs).FailWith("Expected a link{reason}, but found <null>.");
        }
        else
        {
            InterfaceState.Assert("link " + Subject.Name, [Subject.First, Subject.Second], expectUp, because, becauseArgs);
        }
        return new AndConstraint<LinkAssertions>(this);
    }
}
