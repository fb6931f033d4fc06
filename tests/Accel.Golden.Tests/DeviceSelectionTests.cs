using Accel.Golden;
using Xunit;

namespace Accel.Golden.Tests;

public sealed class DeviceSelectionTests
{
    [Fact]
    public void Auto_picks_cuda_when_present_else_the_cpu_and_cuda_is_refused_without_a_device()
    {
        using (var auto = IlgpuGoldenModel.Create())
        {
            Assert.Equal(GoldenFixture.CudaAvailable, auto.IsCuda);
            Assert.Equal(auto.IsCuda ? ConvKernelShape.PerElement : ConvKernelShape.Tiled, auto.ConvShape);
            Assert.False(string.IsNullOrEmpty(auto.DeviceName));
        }
        if (!GoldenFixture.CudaAvailable)
            Assert.Throws<InvalidOperationException>(() => IlgpuGoldenModel.Create(GoldenDevice.Cuda));
    }

    [Fact]
    public void Disposed_model_refuses_to_run()
    {
        var golden = IlgpuGoldenModel.Create(GoldenDevice.Cpu);
        var net = EquivalenceTests.RandomFireNetwork(3);
        var model = Testing.RandomQuantizedModel.Create(net, 3);
        golden.Run(model, Testing.RandomQuantizedModel.Input(net, 3));
        golden.Dispose();
        golden.Dispose();
        Assert.Throws<ObjectDisposedException>(() => golden.Run(model, Testing.RandomQuantizedModel.Input(net, 3)));
    }
}
