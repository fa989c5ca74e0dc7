namespace Cordon.Behaviour;

/// <summary>Where the monitor keeps per-agent state (Cordon:Behaviour); validated at start-up, each problem naming its setting.</summary>
public sealed class BehaviourOptions : Cordon.World.ISelfValidatingOptions
{
    public const string Section = "Cordon:Behaviour";

    /// <summary>"memory" (default; lost on restart) or "table" (Azure Table Storage / Azurite).</summary>
    public string Store { get; set; } = "memory";

    /// <summary>Storage connection string for the table store (Azurite locally).</summary>
    public string? TableConnection { get; set; }

    /// <summary>Table service endpoint used with the managed identity when no connection string is set.</summary>
    public Uri? TableServiceUri { get; set; }

    public string TableName { get; set; } = "cordonbehaviour";

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Store is not ("memory" or "table"))
        {
            problems.Add($"{Section}:Store must be memory or table");
        }

        if (Store == "table" && string.IsNullOrWhiteSpace(TableConnection) && TableServiceUri is null)
        {
            problems.Add($"{Section}:Store is table but neither {Section}:TableConnection nor {Section}:TableServiceUri is set");
        }

        // Blank, an unresolved Key Vault reference or garbage used to pass: the table client's FormatException came at the
        // first telemetry batch, naming no setting (and a blank one fell back to TableServiceUri without a word).
        if (Cordon.World.StorageConnection.Problem($"{Section}:TableConnection", TableConnection, c => _ = new Azure.Data.Tables.TableServiceClient(c)) is { } connection)
        {
            problems.Add(connection);
        }

        return problems;
    }
}
