using Azure.Core;
using Azure.Storage.Blobs;
using Cordon.Evidence;

namespace Cordon.Adapters.Blob;

public static class BlobServiceCollectionExtensions
{
    /// <summary>
    /// Evidence on Azure Blob storage: binds <see cref="BlobEvidenceOptions"/> from <c>Cordon:Evidence</c>
    /// (validated at start-up, naming the setting) and registers <see cref="IEvidenceStore"/> →
    /// <see cref="BlobEvidenceStore"/> on the managed identity (the host's <see cref="TokenCredential"/>,
    /// else DefaultAzureCredential), replacing any local store.
    /// </summary>
    public static IServiceCollection AddCordonBlobEvidence(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAzureAdapter<IEvidenceStore, BlobEvidenceStore, BlobEvidenceOptions>(configuration, BlobEvidenceOptions.Section, (sp, o) =>
            new BlobEvidenceStore(
                new BlobServiceClient(new Uri(o.BlobServiceUri!), sp.GetRequiredService<TokenCredential>()).GetBlobContainerClient(o.Container),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BlobEvidenceStore>>()));
        return services;
    }
}
