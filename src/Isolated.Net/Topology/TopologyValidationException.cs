namespace Isolated.Net;

/// <summary>
/// A topology description cannot be built. Thrown by <see cref="TopologyBuilder.Build()"/> before any
/// namespace or link is created; <see cref="Problems"/> lists every problem found, not just the first.
/// </summary>
public sealed class TopologyValidationException : InvalidOperationException
{
    /// <summary>Creates the exception from the list of problems.</summary>
    /// <param name="problems">One sentence per problem.</param>
    public TopologyValidationException(IReadOnlyList<string> problems)
        : base("The topology is not valid: " + string.Join("; ", problems))
    {
        Problems = problems;
    }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }
}
