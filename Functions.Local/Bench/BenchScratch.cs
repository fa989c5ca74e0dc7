using System.Collections.Concurrent;

namespace Cordon.Local.Bench;

/// <summary>
/// The bench's temporary folders, deleted when the whole bench ends rather than after each run. Deleting a run's
/// thousands of evidence files just before the next run starts made that run slower: on this machine's ext4 a new
/// file's inode skips inodes freed in the last minute or more (the kernel's recently_deleted check; the exact window was
/// not pinned down), and the next host creates thousands of files (perf:
/// 25–40 % of the host's CPU in ext4's inode allocator, the first run of a process at 332 alerts/s, the later ones at
/// ~195/s). A host in the field does not share its disk with a bench cleaning up after itself.
/// </summary>
public static class BenchScratch
{
    static readonly ConcurrentQueue<string> Folders = new();

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
