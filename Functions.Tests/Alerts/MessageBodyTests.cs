using System.Text;
using Azure.Core.Amqp;
using Azure.Messaging.ServiceBus;
using Cordon.Intake;

namespace Cordon.Tests.Alerts;

/// <summary>A Service Bus message's body as bytes, whatever AMQP section carries it (alerts and telemetry read it alike).</summary>
[Trait("Category", "Unit")]
public sealed class MessageBodyTests
{
    static ServiceBusReceivedMessage Message(AmqpMessageBody body) =>
        ServiceBusReceivedMessage.FromAmqpMessage(new AmqpAnnotatedMessage(body), BinaryData.FromBytes(Guid.NewGuid().ToByteArray()));

    [Fact]
    public void A_data_section_a_string_value_and_a_binary_value_are_read_as_their_bytes_and_a_sequence_is_named()
    {
        byte[] json = Encoding.UTF8.GetBytes("""{"a":1}""");
        foreach (AmqpMessageBody body in new[] { AmqpMessageBody.FromData([json]), AmqpMessageBody.FromValue("""{"a":1}"""), AmqpMessageBody.FromValue(json) })
        {
            Assert.True(MessageBody.TryRead(Message(body), out ReadOnlyMemory<byte> read, out _));
            Assert.Equal(json, read.ToArray());
        }

        Assert.False(MessageBody.TryRead(Message(AmqpMessageBody.FromValue(42)), out _, out string value));
        Assert.Contains("AMQP value of type Int32", value, StringComparison.Ordinal);
        Assert.False(MessageBody.TryRead(Message(AmqpMessageBody.FromSequence([new List<object> { "x" }])), out _, out string sequence));
        Assert.Contains("AMQP sequence section", sequence, StringComparison.Ordinal);
    }
}
