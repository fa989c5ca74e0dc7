namespace Cordon.Roster;

/// <summary>
/// Settings of the roster (section <c>Cordon:Roster</c>): where it is stored and how often each site's
/// directory group is synced. In Azure the store is <c>table</c> on the Function App's storage account.
/// </summary>
public sealed class RosterOptions : ISelfValidatingOptions
{
    public const string Section = "Cordon:Roster";

    /// <summary><c>memory</c> (the local default) or <c>table</c> (Azure Table Storage).</summary>
    public string Store { get; set; } = "memory";

    /// <summary>Table Storage connection string (Azurite locally); or use <see cref="TableServiceUri"/> with the managed identity.</summary>
    public string? TableConnection { get; set; }

    /// <summary>Table endpoint, e.g. <c>https://stfnxxxx.table.core.windows.net/</c>; defaults to the Function App's storage account.</summary>
    public string? TableServiceUri { get; set; }

    /// <summary>Table of members; the sync checkpoints go to the table of the same name + <c>Sync</c>.</summary>
    public string Table { get; set; } = "CordonRoster";

    /// <summary>How often each site's group is synced (app setting <c>Cordon__Roster__SyncInterval</c>). A sync cut short (throttled, a page limit) resumes at the next tick.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Pages read per site and run; the rest resume from the stored link at the next run.</summary>
    public int MaxPagesPerRun { get; set; } = 500;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Store is not ("memory" or "table"))
        {
            problems.Add($"{Section}:Store must be memory or table, got '{Store}'");
        }

        if (Store == "table")
        {
            if (string.IsNullOrWhiteSpace(TableConnection) && string.IsNullOrWhiteSpace(TableServiceUri))
            {
                problems.Add($"{Section}:Store is table but neither {Section}:TableConnection nor {Section}:TableServiceUri is set (nor AzureWebJobsStorage__accountName)");
            }
            else if (string.IsNullOrWhiteSpace(TableConnection)
                && (!Uri.TryCreate(TableServiceUri, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback)))
            {
                problems.Add($"{Section}:TableServiceUri '{TableServiceUri}' must be an absolute https URL (loopback http only for Azurite)");
            }
        }

        if (StorageConnection.Problem($"{Section}:TableConnection", TableConnection, c => _ = new Azure.Data.Tables.TableServiceClient(c)) is { } connection)
        {
            problems.Add(connection);
        }

        if (Table.Length is < 3 or > 59 || !char.IsAsciiLetter(Table[0]) || !Table.All(char.IsAsciiLetterOrDigit))
        {
            problems.Add($"{Section}:Table '{Table}' is not a valid table name (3-59 letters and digits, starting with a letter)");
        }

        if (SyncInterval < TimeSpan.FromSeconds(1))
        {
            problems.Add($"{Section}:SyncInterval must be at least one second, got '{SyncInterval}'");
        }

        if (MaxPagesPerRun < 1)
        {
            problems.Add($"{Section}:MaxPagesPerRun must be positive");
        }

        return problems;
    }
}
