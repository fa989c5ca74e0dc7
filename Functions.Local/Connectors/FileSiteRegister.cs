using System.Text.Json;
using Cordon.World;
using Cordon.Offboarding;

namespace Cordon.Local.Connectors;

/// <summary>The local site register: confirmed insiders per site in a JSON file under the data directory.</summary>
public sealed class FileSiteRegister(string path) : ISiteRegister, IDisposable
{
    readonly SemaphoreSlim gate = new(1, 1);

    public void Dispose() => gate.Dispose();

    public async Task<int> RecordAsync(ConfirmedInsider insider, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var all = File.Exists(path)
                ? JsonSerializer.Deserialize<List<ConfirmedInsider>>(await File.ReadAllTextAsync(path, cancellationToken), CordonJson.Options)!
                : [];
            if (!all.Any(i => i.IncidentId == insider.IncidentId))
            {
                all.Add(insider);
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                // Written aside and moved over: a host killed mid-write leaves the old register, never half a file
                // (which every later confirmed insider's step would fail to read).
                string written = path + ".writing";
                await File.WriteAllTextAsync(written, JsonSerializer.Serialize(all, CordonJson.Options), cancellationToken);
                File.Move(written, path, overwrite: true);
            }

            return all.Count(i => i.SiteId == insider.SiteId && i.ConfirmedAt > insider.ConfirmedAt - insider.Window && i.ConfirmedAt <= insider.ConfirmedAt);
        }
        finally
        {
            gate.Release();
        }
    }
}
