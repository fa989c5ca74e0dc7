namespace Cordon.Configuration;

/// <summary>
/// Where the world and the response policy live and how often they are re-read (section <c>Cordon:Configuration</c>).
/// With <see cref="ContainerUri"/> both are blobs of that container (Azure: uploaded by the azd postprovision hook);
/// otherwise the files <c>Cordon:WorldFile</c> / <c>Cordon:PolicyFile</c> (the local host's --world / --policy),
/// or the inline JSON settings <c>Cordon:World</c> / <c>Cordon:Policy</c>, which never change while the app runs.
/// </summary>
public sealed class ConfigurationOptions : ISelfValidatingOptions
{
    public const string Section = "Cordon:Configuration";

    /// <summary>Blob container holding the configuration, e.g. <c>https://stfnxxxx.blob.core.windows.net/config</c>.</summary>
    public Uri? ContainerUri { get; set; }

    /// <summary>Connection string of the storage account instead of the managed identity (Azurite).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Container name when <see cref="ConnectionString"/> is used.</summary>
    public string Container { get; set; } = "config";

    public string WorldBlob { get; set; } = "world.json";

    public string PolicyBlob { get; set; } = "policy.json";

    /// <summary>How often a changed document is looked for (a conditional read: ETag for blobs, timestamp then hash for files).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxPollInterval = TimeSpan.FromSeconds(60);

    public bool FromBlob => ContainerUri is not null || !string.IsNullOrWhiteSpace(ConnectionString);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (PollInterval <= TimeSpan.Zero || PollInterval > MaxPollInterval)
        {
            problems.Add($"{Section}:PollInterval must be more than 0 and at most {MaxPollInterval.TotalSeconds:0} s, got {PollInterval}");
        }

        if (ContainerUri is { } uri && (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback)))
        {
            problems.Add($"{Section}:ContainerUri must be an absolute https URL (loopback http only for Azurite), got '{uri}'");
        }

        if (Cordon.World.StorageConnection.Problem($"{Section}:ConnectionString", ConnectionString, c => _ = new Azure.Storage.Blobs.BlobServiceClient(c)) is { } connection)
        {
            problems.Add(connection);
        }

        if (FromBlob && (string.IsNullOrWhiteSpace(WorldBlob) || string.IsNullOrWhiteSpace(PolicyBlob)))
        {
            problems.Add($"{Section}:WorldBlob and {Section}:PolicyBlob must name the blobs");
        }

        return problems;
    }
}
