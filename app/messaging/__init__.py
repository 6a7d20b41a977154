"""Messages to people: staff notifications (`notify`), the outbox for SMS, e-mail and WeCom with
its sending window and opt-outs, provider back-ends, and replies from customers.

Entry points: `notify.notify` (reach a staff member), `outbox` (queue and deliver a message to a
customer, exactly once), `window` and `optout` (when and whether a message may go), `backends`
(providers), `webhooks.bp` (delivery reports and replies), `jobs.deliver_outbox` (the periodic sweep beside delivery at commit).
"""
