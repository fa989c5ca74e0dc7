using System.Diagnostics;

namespace Cordon.Local.Bench;

/// <summary>This host's own command line as a child process: <c>dotnet Cordon.Local.dll ARGS</c>.</summary>
public static class HostProcess
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        info.ArgumentList.Add(typeof(HostProcess).Assembly.Location);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        return info;
    }
}
