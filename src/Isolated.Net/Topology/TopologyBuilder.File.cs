using System.Text;

namespace Isolated.Net;

// Topology files: the builder's description as JSON (see README "Reproduce by hand").
public sealed partial class TopologyBuilder
{
    /// <summary>
    /// Reads a topology file (JSON, as written by <see cref="Topology.ToFile"/>): hosts, routers, switches,
    /// connections, links with their subnets, MTUs and impairments (with seeds), routes, IPv6 on or off,
    /// and the faults to apply right after <see cref="Build()"/>. Nothing is created until Build.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TopologyValidationException">
    /// The file is not valid; <see cref="TopologyValidationException.Problems"/> lists every problem, each
    /// with the file, line and JSON path, e.g. <c>lab.json: line 14, $.links[1].second: host 'c' is not declared under "hosts".</c>
    /// </exception>
    public static TopologyBuilder FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Topology file '{path}' does not exist.", path);
        }
        return TopologyFileReader.Load(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a topology description from JSON text, as <see cref="FromFile"/> reads a file.</summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="TopologyValidationException">The text is not a valid topology; every problem is listed with its line and JSON path.</exception>
    public static TopologyBuilder FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return TopologyFileReader.Load(Encoding.UTF8.GetBytes(json), "json");
    }

    internal TopologyBuilder WithSavedFaults(SavedFaults faults) => With(_spec with { SavedFaults = faults.IsEmpty ? null : faults });
}

internal sealed partial record TopologySpec
{
    // Faults a topology file had in force, applied right after the build.
    public SavedFaults? SavedFaults { get; init; }
}
