using System.Collections.Concurrent;

namespace Cordon.Local.Bench;

/// <summary>
/// The bench's temporary folders, deleted when the whole bench ends rather than after each run. Deleting a run's
/// thousands of evidence files just before the next run starts made that run slower: on this machine's ext4 a new
/// file's inode skips inodes freed in the last minute or more (the kernel's recently_deleted check; the exact window was
/// not pinned down), and the next host creates thousands of files (perf:
/// 25–40 % of the host's CPU in ext4's inode allocator, the first run of a process at 332 alerts/s, the later ones at
/// ~195/s). A host in the field does not share its disk with a bench cleaning up after itself.
/// Deferring the deletion did not cover runs of separate bench processes (a run just after another measured the burst of
/// 1,000 in memory at 4.2–5.2 s p95 with 63 % of the burst's samples in the kernel, mostly ext4's inode search), so the
/// folders are on tmpfs (/dev/shm) where the machine has one, as the private Azurites keep their data in their process:
/// the evidence folder stands in for Blob Storage, and this disk's allocator is not what the bench measures.
/// CORDON_BENCH_DISK=1 puts them under the temporary directory on disk instead.
/// </summary>
public static class BenchScratch
{
    const string Tmpfs = "/dev/shm";
    static readonly ConcurrentQueue<string> Folders = new();

    /// <summary>
    /// Where the bench's folders go: tmpfs when the machine has one with room to spare (a container's default /dev/shm
    /// is 64 MB) and CORDON_BENCH_DISK is not 1, else the temporary directory.
    /// </summary>
    public static string Place { get; } = Environment.GetEnvironmentVariable("CORDON_BENCH_DISK") != "1" && TmpfsHasRoom() ? Tmpfs : Path.GetTempPath();

    public static bool OnTmpfs => Place == Tmpfs;

    static bool TmpfsHasRoom()
    {
        try
        {
            return Directory.Exists(Tmpfs) && new DriveInfo(Tmpfs).AvailableFreeSpace >= 1L << 30;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A new empty folder for one host's data, named for what it holds.</summary>
    public static string NewFolder(string prefix) => Directory.CreateDirectory(Path.Combine(Place, prefix + Guid.NewGuid().ToString("N")[..12])).FullName;

    public static void DeleteLater(string folder) => Folders.Enqueue(folder);

    public static void DeleteAll()
    {
        while (Folders.TryDequeue(out string? folder))
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // a file still held by an exiting process: the temporary folder is left behind
            }
        }
    }
}
