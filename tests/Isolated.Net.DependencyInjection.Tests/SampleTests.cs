using System.Diagnostics;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.DependencyInjection.Tests;

// Runs samples/Isolated.Net.Samples.DependencyInjection (built and copied beside the tests through the
// project reference) as its own process, exactly as `dotnet run` would, and checks it succeeds.
public sealed class SampleTests
{
    [PrivilegedFact]
    public async Task The_dependency_injection_sample_serves_inside_server_and_calls_from_client()
    {
        var sample = Path.Combine(AppContext.BaseDirectory, "Isolated.Net.Samples.DependencyInjection.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { "exec", sample },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"the sample exited with {process.ExitCode}:\n{output}");
        Assert.Contains("client -> server: hello 10.0.1.2 from 10.0.1.1", output, StringComparison.Ordinal);
    }
}
