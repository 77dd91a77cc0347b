namespace Isolated.Net.Reaping;

// The core assembly doubles as the reaper's executable: `dotnet exec Isolated.Net.dll reaper ...`
// with the application's own deps file, so the reaper needs nothing shipped beside the library.
internal static class ReaperProgram
{
    public static int Main(string[] args) => Reaper.Main(args);
}
