using Cordon.Notification;

namespace Cordon.Adapters.SendGrid;

public static class SendGridServiceCollectionExtensions
{
    /// <summary>
    /// Sends Cordon's mails through SendGrid: binds <see cref="SendGridOptions"/> from <c>Cordon:Email</c>
    /// (validated when the host starts: a missing API key or sender fails start-up with the setting's name)
    /// and registers <see cref="IEmailSender"/> → <see cref="SendGridEmailSender"/>.
    /// </summary>
    public static IServiceCollection AddCordonSendGrid(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAdapterOptions<SendGridOptions>(configuration, SendGridOptions.SectionName);
        // A plain client: retries are the sender's own (429/5xx with Retry-After), so none are stacked here.
        services.AddHttpClient(SendGridEmailSender.HttpClientName);
        return services.ReplacePort<IEmailSender, SendGridEmailSender>();
    }
}
