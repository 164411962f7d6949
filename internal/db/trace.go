package db

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"

	"tiktok/internal/tracing"
)

// traceSQL makes every statement a span of the request's trace. (A few lines
// here instead of gorm's plugin, which links drivers for every database.)
func traceSQL(gdb *gorm.DB, system string) error {
	tracer := otel.Tracer("tiktok/db")
	before := func(op string) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			if tx.Statement.Context == nil || !tracing.Recording(tx.Statement.Context) {
				return // not a sampled request: no span at all
			}
			ctx, span := tracer.Start(tx.Statement.Context, "sql."+op, trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("db.system", system)))
			tx.Statement.Context = ctx
			tx.InstanceSet("otel:span", span)
		}
	}
	after := func(tx *gorm.DB) {
		v, ok := tx.InstanceGet("otel:span")
		if !ok {
			return
		}
		span := v.(trace.Span)
		span.SetAttributes(attribute.String("db.statement", tx.Statement.SQL.String()),
			attribute.String("db.table", tx.Statement.Table), attribute.Int64("db.rows", tx.Statement.RowsAffected))
		if tx.Error != nil && tx.Error != gorm.ErrRecordNotFound {
			span.RecordError(tx.Error)
			span.SetStatus(codes.Error, tx.Error.Error())
		}
		span.End()
	}
	cb := gdb.Callback()
	if err := cb.Create().Before("gorm:create").Register("otel:before_create", before("insert")); err != nil {
		return err
	}
	if err := cb.Create().After("gorm:create").Register("otel:after_create", after); err != nil {
		return err
	}
	if err := cb.Query().Before("gorm:query").Register("otel:before_query", before("select")); err != nil {
		return err
	}
	if err := cb.Query().After("gorm:query").Register("otel:after_query", after); err != nil {
		return err
	}
	if err := cb.Update().Before("gorm:update").Register("otel:before_update", before("update")); err != nil {
		return err
	}
	if err := cb.Update().After("gorm:update").Register("otel:after_update", after); err != nil {
		return err
	}
	if err := cb.Delete().Before("gorm:delete").Register("otel:before_delete", before("delete")); err != nil {
		return err
	}
	if err := cb.Delete().After("gorm:delete").Register("otel:after_delete", after); err != nil {
		return err
	}
	if err := cb.Row().Before("gorm:row").Register("otel:before_row", before("row")); err != nil {
		return err
	}
	if err := cb.Row().After("gorm:row").Register("otel:after_row", after); err != nil {
		return err
	}
	if err := cb.Raw().Before("gorm:raw").Register("otel:before_raw", before("raw")); err != nil {
		return err
	}
	return cb.Raw().After("gorm:raw").Register("otel:after_raw", after)
}
