using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// One processing element of the weight-stationary array: two weight banks (one computes while
/// the loader fills the other), a 9-bit x 8-bit signed multiply, and the partial sum passed
/// down the column. The activation and its bank select move right one PE per cycle; the last
/// column's variant does not forward them.
/// </summary>
public static class Pe
{
    public const string Name = "accel_pe";
    public const string EdgeName = "accel_pe_edge";

    public static Module Build(EngineConfig c, bool forwardsActivation)
    {
        int p = c.PsumBits;
        var m = new Module(forwardsActivation ? Name : EdgeName).Describe(
            forwardsActivation
                ? "Processing element: psum_o = psum_i + act_i * weight[sel_i], registered; act_i and sel_i forwarded right."
                : "Processing element of the last column: as accel_pe, without forwarding the activation.");
        var clk = m.Input("clk_i");
        var act = m.Input("act_i", EngineConfig.OperandBits);
        var sel = m.Input("sel_i");
        var psumIn = m.Input("psum_i", p);
        var we = m.Input("wt_we_i");
        var bank = m.Input("wt_bank_i");
        var data = m.Input("wt_data_i", EngineConfig.DataBits);
        var actOut = forwardsActivation ? m.Output("act_o", EngineConfig.OperandBits) : null;
        var selOut = forwardsActivation ? m.Output("sel_o") : null;
        var psumOut = m.Output("psum_o", p);

        var weight0 = m.Reg("weight0", EngineConfig.DataBits);
        var weight1 = m.Reg("weight1", EngineConfig.DataBits);
        m.Assign(weight0.D, Expr.Mux(we.And(!bank), data, weight0.Q));
        m.Assign(weight1.D, Expr.Mux(we.And(bank), data, weight1.Q));
        var weight = m.Wire("weight", Expr.Mux(sel, weight1.Q, weight0.Q));
        // Both operands sign-extended to the product width: the low 17 bits are the exact signed product.
        var product = m.Wire("product", act.Sext(EngineConfig.ProductBits) * weight.Sext(EngineConfig.ProductBits));
        m.Assign(psumOut, m.Pipe("psum", psumIn + product.Sext(p)));
        if (actOut is not null && selOut is not null)
        {
            m.Assign(actOut, m.Pipe("act", act));
            m.Assign(selOut, m.Pipe("sel", sel));
        }
        m.Clocked(clk, null);
        return m;
    }
}
