using System.Diagnostics;

namespace Cordon.Tests.Reliability;

/// <summary>
/// A host reads its settings once (configuration changes arrive through the configuration store, not appsettings
/// files), so it must not watch folders: ASP.NET's default builder watches its content root, subfolders included, for
/// appsettings changes. The embedded sidecar's content root was the working directory — the repository root when run
/// from the README, 2,384 folders with node_modules — and with the data folder under it (.cordon) every new incident's
/// evidence folder was added to the watch while the host ran.
/// </summary>
public sealed class FolderWatchTests
{
    [Fact]
    public async Task A_running_local_host_watches_neither_its_working_directory_nor_its_own_folder()
    {
        await using TestHost host = await TestHost.StartAsync();
        _ = await host.Http.GetAsync("/api/health");

        HashSet<long> watched = WatchedInodes();
        Assert.DoesNotContain(Inode(Directory.GetCurrentDirectory()), watched);
        Assert.DoesNotContain(Inode(AppContext.BaseDirectory), watched);
        Assert.DoesNotContain(Inode(host.DataDir), watched);
    }

    /// <summary>Every inode this process's inotify instances watch (Linux: /proc/self/fdinfo lists them).</summary>
    static HashSet<long> WatchedInodes()
    {
        var inodes = new HashSet<long>();
        foreach (string fd in Directory.GetFiles("/proc/self/fdinfo"))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(fd);
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }

            foreach (string line in lines.Where(l => l.StartsWith("inotify ", StringComparison.Ordinal)))
            {
                string ino = line.Split(' ').First(p => p.StartsWith("ino:", StringComparison.Ordinal))[4..];
                inodes.Add(Convert.ToInt64(ino, 16));
            }
        }

        return inodes;
    }

    static long Inode(string path)
    {
        using Process stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        string output = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return long.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
