using Accel.Link.Transports;
using Xunit;

namespace Accel.Board.Tests;

public class LinkAddressTests
{
    [Theory]
    [InlineData("uart:/dev/ttyUSB1@3000000", LinkKind.Uart, "/dev/ttyUSB1", 3_000_000L)]
    [InlineData("uart:/dev/ttyUSB1", LinkKind.Uart, "/dev/ttyUSB1", 3_000_000L)]
    [InlineData("uart:/dev/pts/7@115200", LinkKind.Uart, "/dev/pts/7", 115_200L)]
    [InlineData("UART:/dev/serial/by-id/usb-FTDI@if00@921600", LinkKind.Uart, "/dev/serial/by-id/usb-FTDI@if00", 921_600L)]
    [InlineData("xdma:/dev/xdma0", LinkKind.Xdma, "/dev/xdma0", 0L)]
    [InlineData("emu", LinkKind.Emulator, "", 0L)]
    [InlineData("emu@3000000", LinkKind.Emulator, "", 3_000_000L)]
    public void ParsesTheAcceptedForms(string text, LinkKind kind, string path, long baud)
    {
        var a = LinkAddress.Parse(text);
        Assert.Equal((kind, path, baud), (a.Kind, a.Path, a.Baud));
        Assert.Equal(a, LinkAddress.Parse(a.ToString()));
    }

    [Fact]
    public void XdmaNamesItsThreeDeviceFiles()
    {
        var a = LinkAddress.Parse("xdma:/dev/xdma0");
        Assert.Equal(("/dev/xdma0_h2c_0", "/dev/xdma0_c2h_0", "/dev/xdma0_user"), (a.H2cPath, a.C2hPath, a.UserPath));
    }

    [Theory]
    [InlineData("/dev/ttyUSB1", "no 'uart:' or 'xdma:'")]
    [InlineData("usb:/dev/ttyUSB1", "unknown link 'usb'")]
    [InlineData("uart:", "no serial port path")]
    [InlineData("uart:@115200", "no serial port path")]
    [InlineData("uart:/dev/ttyUSB1@fast", "baud 'fast'")]
    [InlineData("uart:/dev/ttyUSB1@0", "baud '0'")]
    [InlineData("uart:/dev/ttyUSB1@-5", "baud '-5'")]
    [InlineData("xdma:", "no device prefix")]
    [InlineData("xdma:/dev/xdma0@100", "no baud")]
    [InlineData("emu@", "baud ''")]
    [InlineData("emulator", "no 'uart:' or 'xdma:'")]
    [InlineData("", "no 'uart:' or 'xdma:'")]
    public void BadTextIsNamedWithTheAcceptedForms(string text, string why)
    {
        var e = Assert.Throws<FormatException>(() => LinkAddress.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Contains("uart:PATH[@BAUD]", e.Message);
        Assert.Contains("xdma:PREFIX", e.Message);
        Assert.Contains("emu[@BAUD]", e.Message);
    }
}
