namespace Cordon.Adapters.Blob;

/// <summary>
/// Settings of the Blob evidence store, section <c>Cordon:Evidence</c> (app settings
/// <c>Cordon__Evidence__BlobServiceUri</c>, <c>Cordon__Evidence__Container</c>, written by infra/main.bicep).
/// </summary>
public sealed class BlobEvidenceOptions : ISelfValidatingOptions
{
    public const string Section = "Cordon:Evidence";

    /// <summary>Blob endpoint of the evidence account, e.g. <c>https://stevxxxx.blob.core.windows.net/</c>; reached with the managed identity.</summary>
    public string? BlobServiceUri { get; set; }

    /// <summary>Container holding every incident's evidence under the prefix <c>{incidentId}/</c>.</summary>
    public string Container { get; set; } = "evidence";

    /// <summary>Problems with the settings, each naming the setting; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(BlobServiceUri))
        {
            problems.Add($"{Section}:BlobServiceUri is missing: set the evidence account's blob endpoint (app setting Cordon__Evidence__BlobServiceUri).");
        }
        else if (!Uri.TryCreate(BlobServiceUri, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback))
        {
            problems.Add($"{Section}:BlobServiceUri '{BlobServiceUri}' must be an absolute https URL (loopback http only for Azurite).");
        }

        if (Container.Length is < 3 or > 63 || !Container.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            || Container.StartsWith('-') || Container.EndsWith('-') || Container.Contains("--", StringComparison.Ordinal))
        {
            problems.Add($"{Section}:Container '{Container}' is not a valid container name (3-63 lowercase letters, digits and single hyphens).");
        }

        return problems;
    }
}
