package pp.javaclient;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import pp.generated.api.CasesApi;
import pp.generated.api.ManagedCasesApi;
import pp.generated.api.MeApi;
import pp.generated.api.TestCasesApi;
import pp.generated.api.TestWebhooksApi;
import pp.generated.api.WebhookEventsApi;
import pp.generated.api.WebhooksApi;
import pp.generated.invoker.ApiClient;
import pp.generated.invoker.ApiException;
import pp.generated.invoker.ApiResponse;
import pp.generated.model.DebituraDomainModelWebhooksDtosCreateWebhookRequest;
import pp.generated.model.DebituraDomainModelWebhooksDtosUpdateWebhookRequest;
import pp.generated.model.DebituraDomainModelWebhooksDtosWebhookDto;
import pp.generated.model.DebituraWebCollectionPartnerApiModelsMeCollectionPartnerMeResponse;
import pp.generated.model.DebituraWebCollectionPartnerApiModelsWebhooksReplayEventResultDto;
import pp.generated.model.DebituraWebCollectionPartnerApiModelsWebhooksWebhookEventDto;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesAdvanceTestCaseResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesCaseTimelineResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesCloseCaseResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesDebtorDto;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesFireWebhookResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesInvoiceDto;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesInvoiceListDto;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesReplayLastEventResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesRequestsAdvanceTestCaseRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesRequestsCloseCaseRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesRequestsCreateManagedCaseRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesRequestsFireWebhookRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesRequestsUpdateCaseFeesRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesTimelineItemDto;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesUpdateCaseFeesResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsCreateManagedCasePaymentRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsCreateManagedCasePaymentResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsCreatePaymentRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsCreatePaymentResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsPaymentDto;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsUpdatePaymentRequest;

/**
 * Drives the stack through the payment flow with the client OpenAPI Generator made from the original's
 * document, nothing else: every call goes through the generated API classes and every answer is read
 * into the generated models (a body they cannot read is an ApiException, and a failed step).
 *
 * <p>System properties: pp.baseUrl, pp.apiKey (a partner's key), pp.caseId (a production case of that
 * partner, Active, created with date, dueDate, creditor and debtor), pp.debtorId (the debtor.id it was
 * created with), pp.webhookUrl (where a subscription may point), pp.debtorIdsServed (true once the gateway
 * declares GET /cases?DebtorIds). Prints "STEP ok name" per step, "STEP FAIL name: why" and exits 1 on the first failure.
 *
 * <p>Each step is one line in main(). The document's operations that SPEC.md does not take over (chats,
 * files, notes, start, exclusive period, validation, ingestion jobs, users, the partner- and
 * creditor-reference lookups, the managed cases' timeline, chats and files) are not served and not driven.
 */
public final class Driver {
  private final CasesApi cases;
  private final ManagedCasesApi managed;
  private final MeApi me;
  private final TestCasesApi testCases;
  private final TestWebhooksApi testWebhooks;
  private final WebhooksApi webhooks;
  private final WebhookEventsApi events;
  private final UUID caseId;
  private final UUID debtorId;
  private final String webhookUrl;
  private final String tag = "java-client-" + UUID.randomUUID();

  // state carried from step to step
  private DebituraWebExternalApiContractsV1CasesInvoiceDto theCase;
  private UUID paymentId;
  private UUID keyedPaymentId;
  private UUID webhookId;
  private DebituraWebExternalApiContractsV1CasesInvoiceDto testCase;
  private UUID testWebhookId;
  private UUID firedEventId;

  private Driver(ApiClient client, UUID caseId, UUID debtorId, String webhookUrl) {
    this.cases = new CasesApi(client);
    this.managed = new ManagedCasesApi(client);
    this.me = new MeApi(client);
    this.testCases = new TestCasesApi(client);
    this.testWebhooks = new TestWebhooksApi(client);
    this.webhooks = new WebhooksApi(client);
    this.events = new WebhookEventsApi(client);
    this.caseId = caseId;
    this.debtorId = debtorId;
    this.webhookUrl = webhookUrl;
  }

  interface Step {
    void run() throws Exception;
  }

  public static void main(String[] args) {
    String baseUrl = required("pp.baseUrl");
    String apiKey = required("pp.apiKey");
    ApiClient client = new ApiClient();
    client.updateBaseUri(baseUrl);
    client.setRequestInterceptor(builder -> builder.header("XApiKey", apiKey));
    Driver d = new Driver(client, UUID.fromString(required("pp.caseId")), UUID.fromString(required("pp.debtorId")), required("pp.webhookUrl"));

    step("me", d::me);
    step("case", d::readCase);
    step("caseByReference", d::caseByReference);
    step("listCases", d::listCases);
    if (Boolean.getBoolean("pp.debtorIdsServed")) step("listCasesByDebtor", d::listCasesByDebtor);
    else System.out.println("STEP skip listCasesByDebtor: the gateway does not declare DebtorIds on GET /cases");
    step("createWebhook", d::createWebhook);
    step("readWebhooks", d::readWebhooks);
    step("recordPayment", d::recordPayment);
    step("recordPaymentWithKey", d::recordPaymentWithKey);
    step("listPayments", d::listPayments);
    step("editPayment", d::editPayment);
    step("deletePayment", d::deletePayment);
    step("updateFees", d::updateFees);
    step("closeCase", d::closeCase);
    step("timeline", d::timeline);
    step("webhookEvents", d::webhookEvents);
    step("deleteWebhook", d::deleteWebhook);
    step("createManagedCase", d::createManagedCase);
    step("readManagedCases", d::readManagedCases);
    step("listCasesByIdsSorted", d::listCasesByIdsSorted);
    step("managedPayments", d::managedPayments);
    step("managedPaymentsOnProductionCase", d::managedPaymentsOnProductionCase);
    step("createTestWebhook", d::createTestWebhook);
    step("fireWebhook", d::fireWebhook);
    step("replayLastEvent", d::replayLastEvent);
    step("deleteTestWebhook", d::deleteTestWebhook);
    step("advanceTestCase", d::advanceTestCase);
    step("deleteTestCases", d::deleteTestCases);
    System.out.println("DONE");
  }

  // ---- steps

  void me() throws ApiException {
    DebituraWebCollectionPartnerApiModelsMeCollectionPartnerMeResponse profile = me.meGet();
    check(profile.getId() != null, "me.id");
    check(profile.getCompanyName() != null, "me.companyName");
  }

  void readCase() throws ApiException {
    theCase = cases.casesIdGet(caseId);
    check(caseId.equals(theCase.getId()), "case.id");
    checkCaseFields(theCase, "case");
    check("Active".equals(theCase.getLifecycle()), "case.lifecycle Active");
    check(theCase.getDate() != null && theCase.getDueDate() != null, "case.date and case.dueDate");
    check(theCase.getDueDate().isAfter(theCase.getDate()), "case.dueDate after case.date");
    check(theCase.getCreditor() != null && theCase.getCreditor().getId() != null, "case.creditor.id");
    check(theCase.getDebtor() != null && theCase.getDebtor().getName() != null, "case.debtor");
  }

  void caseByReference() throws ApiException {
    DebituraWebExternalApiContractsV1CasesInvoiceDto byRef = cases.casesCaseReferenceCaseReferenceGet(theCase.getReference());
    check(caseId.equals(byRef.getId()), "by reference: the same case");
  }

  void listCases() throws ApiException {
    DebituraWebExternalApiContractsV1CasesInvoiceListDto page = cases.casesGet(1, 100, null, null, List.of("Active"), null, null, null);
    check(page.getPage() != null && page.getPage().getTotalResults() != null, "page");
    check(page.getCases().stream().anyMatch(c -> caseId.equals(c.getId())), "the case is listed");
    for (DebituraWebExternalApiContractsV1CasesInvoiceDto c : page.getCases()) checkCaseFields(c, "listed case");
  }

  /**
   * DebtorIds (SPEC §10): only the cases of that debtor. The document's DebtorDto has no id (SPEC adds
   * debtor.id), so the generated model cannot read it: the id the case was created with is pp.debtorId.
   * Run only when the gateway declares DebtorIds (pp.debtorIdsServed): one that does not ignores it.
   */
  void listCasesByDebtor() throws ApiException {
    DebituraWebExternalApiContractsV1CasesInvoiceListDto page = cases.casesGet(1, 100, List.of(debtorId), null, null, null, null, null);
    check(page.getCases().size() == 1 && caseId.equals(page.getCases().get(0).getId()), "the one case of that debtor");
    check(cases.casesGet(1, 100, List.of(UUID.randomUUID()), null, null, null, null, null).getCases().isEmpty(), "no case of an unknown debtor");
  }

  void createWebhook() throws ApiException {
    DebituraDomainModelWebhooksDtosWebhookDto hook = webhooks.webhooksPost(new DebituraDomainModelWebhooksDtosCreateWebhookRequest()
        .url(java.net.URI.create(webhookUrl))
        .events(List.of("payment.created", "payment.updated", "payment.deleted", "case.updated"))
        .isTestMode(false));
    check(hook.getId() != null && hook.getSecret() != null, "webhook id and secret");
    webhookId = hook.getId();
  }

  void readWebhooks() throws ApiException {
    check(webhooks.webhooksGet().stream().anyMatch(h -> webhookId.equals(h.getId())), "webhook listed");
    check(webhookId.equals(webhooks.webhooksIdGet(webhookId).getId()), "webhook by id");
    DebituraDomainModelWebhooksDtosWebhookDto updated = webhooks.webhooksIdPut(webhookId, new DebituraDomainModelWebhooksDtosUpdateWebhookRequest().isActive(true));
    check(Boolean.TRUE.equals(updated.getIsActive()), "webhook active");
  }

  void recordPayment() throws ApiException {
    DebituraWebExternalApiContractsV1PaymentsCreatePaymentResponse out = cases.casesIdPaymentsPost(caseId, null, payment(100.5));
    check(out.getPaymentId() != null, "paymentId");
    check(theCase.getReference().equals(out.getCaseReference()), "caseReference");
    check(out.getDate() != null, "date");
    paymentId = out.getPaymentId();
  }

  void recordPaymentWithKey() throws ApiException {
    String key = "java-client-" + UUID.randomUUID();
    DebituraWebExternalApiContractsV1PaymentsCreatePaymentResponse first = cases.casesIdPaymentsPost(caseId, key, payment(50));
    ApiResponse<DebituraWebExternalApiContractsV1PaymentsCreatePaymentResponse> again = cases.casesIdPaymentsPostWithHttpInfo(caseId, key, payment(50), null);
    check(Objects.equals(first.getPaymentId(), again.getData().getPaymentId()), "the same payment for the same key");
    check(again.getHeaders().getOrDefault("idempotency-replayed", List.of()).contains("true"), "Idempotency-Replayed: true");
    keyedPaymentId = first.getPaymentId();
  }

  void listPayments() throws ApiException {
    List<DebituraWebExternalApiContractsV1PaymentsPaymentDto> list = cases.casesIdPaymentsGet(caseId);
    check(list.size() == 2, "two payments, got " + list.size());
    for (DebituraWebExternalApiContractsV1PaymentsPaymentDto p : list) {
      check(p.getId() != null && p.getDate() != null && p.getDateCreated() != null, "payment id and dates");
      check(p.getInvoice() != null && caseId.equals(p.getInvoice().getInvoiceId()), "payment.invoice.invoiceId");
    }
  }

  void editPayment() throws ApiException {
    DebituraWebExternalApiContractsV1PaymentsPaymentDto edited = cases.casesIdPaymentsPaymentIdPut(caseId, paymentId, new DebituraWebExternalApiContractsV1PaymentsUpdatePaymentRequest()
        .date(day(2024, 5, 11))
        .paymentAmount(120.0)
        .paymentRecipient("CollectionPartner"));
    check(paymentId.equals(edited.getId()), "edited payment id");
    check(Double.valueOf(120.0).equals(edited.getGrossAmount()), "edited amount");
    check(day(2024, 5, 11).isEqual(edited.getDate()), "edited date");
  }

  void deletePayment() throws ApiException {
    cases.casesIdPaymentsPaymentIdDelete(caseId, keyedPaymentId, null);
    check(cases.casesIdPaymentsGet(caseId).size() == 1, "one payment left");
  }

  void updateFees() throws ApiException {
    DebituraWebExternalApiContractsV1CasesInvoiceDto before = cases.casesIdGet(caseId);
    DebituraWebExternalApiContractsV1CasesUpdateCaseFeesResponse out = cases.casesIdFeesPut(caseId, new DebituraWebExternalApiContractsV1CasesRequestsUpdateCaseFeesRequest()
        .interestFees(25.0)
        .reminderFees(10.5)
        .confirmPriceChange(false));
    check(caseId.equals(out.getCaseId()), "fees: caseId");
    check(Double.valueOf(25.0).equals(out.getInterestFees()) && Double.valueOf(10.5).equals(out.getReminderFees()), "fees: the new ones");
    check(Objects.equals(before.getCollectionFees(), out.getCollectionFees()) && Objects.equals(before.getGrossAmount(), out.getGrossAmount()), "fees: the omitted ones kept");
    check(out.getTotalAddedFees() == 35.5 + out.getCollectionFees(), "fees: totalAddedFees");
    check(out.getRemainder() == before.getRemainder() + out.getTotalAddedFees() - before.getTotalAddedFees(), "fees: the remainder follows");
    check(out.getRecalculatedSuccessFee() != null, "fees: recalculatedSuccessFee");
    DebituraWebExternalApiContractsV1CasesInvoiceDto after = cases.casesIdGet(caseId);
    check(Objects.equals(out.getRemainder(), after.getRemainder()) && Objects.equals(out.getTotalAddedFees(), after.getTotalAddedFees()), "fees: the case shows them");
  }

  void closeCase() throws ApiException {
    DebituraWebExternalApiContractsV1CasesCloseCaseResponse out = cases.casesIdClosePost(caseId, new DebituraWebExternalApiContractsV1CasesRequestsCloseCaseRequest()
        .closeCode("PartiallyPaid")
        .comment("closed by the generated Java client"));
    check("PartiallyPaid".equals(out.getCloseCode()), "closeCode");
    check(out.getClosedAt() != null && out.getClosedBy() != null, "closedAt, closedBy");
    DebituraWebExternalApiContractsV1CasesInvoiceDto closed = cases.casesIdGet(caseId);
    check("Closed".equals(closed.getLifecycle()) && closed.getDateFinished() != null, "case closed");
    expectStatus(400, () -> cases.casesIdFeesPut(caseId, new DebituraWebExternalApiContractsV1CasesRequestsUpdateCaseFeesRequest().interestFees(1.0)), "fees of a closed case");
  }

  /** After the payments, the fee change and the close: every one of them, oldest first. */
  void timeline() throws ApiException {
    DebituraWebExternalApiContractsV1CasesCaseTimelineResponse out = cases.casesIdTimelineGet(caseId);
    List<DebituraWebExternalApiContractsV1CasesTimelineItemDto> items = out.getItems();
    check(items != null && !items.isEmpty() && "CaseCreated".equals(items.get(0).getType()), "timeline: the creation first");
    List<String> types = items.stream().map(DebituraWebExternalApiContractsV1CasesTimelineItemDto::getType).toList();
    for (String type : List.of("PaymentRecorded", "PaymentUpdated", "PaymentDeleted", "FeesUpdated", "CaseClosed")) check(types.contains(type), "timeline: " + type + " in " + types);
    check(types.stream().filter("PaymentRecorded"::equals).count() == 2, "timeline: two payments recorded");
    for (int i = 0; i < items.size(); i++) {
      DebituraWebExternalApiContractsV1CasesTimelineItemDto item = items.get(i);
      check(item.getDate() != null && item.getTitle() != null && item.getDescription() != null, "timeline item " + i + ": date, title, description");
      check(item.getActor() != null && List.of("Partner", "Operator", "System").contains(item.getActor().getType()), "timeline item " + i + ": actor.type");
      check(i == 0 || !item.getDate().isBefore(items.get(i - 1).getDate()), "timeline: oldest first");
    }
  }

  void webhookEvents() throws Exception {
    // Events are fanned out asynchronously (SPEC §1): wait, bounded, for the first one of this case.
    List<DebituraWebCollectionPartnerApiModelsWebhooksWebhookEventDto> list = new ArrayList<>();
    long until = System.nanoTime() + 60_000_000_000L;
    while (list.isEmpty() && System.nanoTime() < until) {
      list = events.webhooksEventsGet(caseId, null);
      if (list.isEmpty()) Thread.sleep(200);
    }
    check(!list.isEmpty(), "webhook events of the case");
    check(!events.webhooksEventsGet(null, OffsetDateTime.now(ZoneOffset.UTC).minusHours(1)).isEmpty(), "events since an hour ago");
    DebituraWebCollectionPartnerApiModelsWebhooksWebhookEventDto event = list.get(0);
    check(event.getId() != null && event.getSubscriptionId() != null && event.getCreatedAt() != null, "event fields");
    DebituraWebCollectionPartnerApiModelsWebhooksReplayEventResultDto replay = events.webhooksEventsIdReplayPost(event.getId());
    check(event.getId().equals(replay.getEventId()), "replayed event id");
  }

  void deleteWebhook() throws ApiException {
    webhooks.webhooksIdDelete(webhookId);
  }

  void createManagedCase() throws ApiException {
    DebituraWebExternalApiContractsV1CasesRequestsCreateManagedCaseRequest body = new DebituraWebExternalApiContractsV1CasesRequestsCreateManagedCaseRequest()
        .isTest(true)
        .currencyCode("EUR")
        .amountToRecover(500.0)
        .date(day(2024, 8, 19))
        .dueDate(day(2024, 9, 2))
        .creditorCompanyName("Java Creditor Ltd")
        .creditorCountry("Denmark")
        .creditorReference("INV-JAVA-1")
        .tag(tag)
        .debtor(new DebituraWebExternalApiContractsV1CasesDebtorDto().type("Company").name("Java Debtor ApS"));
    String key = "java-client-" + UUID.randomUUID();
    testCase = managed.managedCasesPost(key, body);
    checkCaseFields(testCase, "test case");
    check(Boolean.TRUE.equals(testCase.getIsTestCase()), "isTestCase");
    check(day(2024, 8, 19).isEqual(testCase.getDate()), "test case date");
    check(day(2024, 9, 2).isEqual(testCase.getDueDate()), "test case dueDate");
    check("Java Creditor Ltd".equals(testCase.getCreditor().getCompanyName()), "creditor.companyName");
    check(testCase.getId().equals(managed.managedCasesPost(key, body).getId()), "the same test case for the same key");
  }

  void readManagedCases() throws ApiException {
    DebituraWebExternalApiContractsV1CasesInvoiceListDto page = managed.managedCasesGet(1, 100, null, null, null, null, null);
    check(page.getCases().stream().anyMatch(c -> testCase.getId().equals(c.getId())), "test case listed");
    check(testCase.getId().equals(managed.managedCasesIdGet(testCase.getId()).getId()), "managed case by id");
    check(testCase.getId().equals(managed.managedCasesCaseReferenceCaseReferenceGet(testCase.getReference()).getId()), "managed case by reference");
  }

  /** Ids and Sort (SPEC §10): the production case and the test case, by remainder both ways. */
  void listCasesByIdsSorted() throws ApiException {
    List<UUID> ids = List.of(caseId, testCase.getId());
    List<DebituraWebExternalApiContractsV1CasesInvoiceDto> up = cases.casesGet(1, 100, null, ids, null, null, "remainder", true).getCases();
    List<DebituraWebExternalApiContractsV1CasesInvoiceDto> down = cases.casesGet(1, 100, null, ids, null, null, "-remainder", true).getCases();
    check(up.size() == 2 && down.size() == 2, "only the two cases asked for, got " + up.size() + " and " + down.size());
    check(up.get(0).getRemainder() <= up.get(1).getRemainder(), "Sort=remainder ascending");
    check(up.get(0).getId().equals(down.get(1).getId()) && up.get(1).getId().equals(down.get(0).getId()), "Sort=-remainder the other way");
    check(cases.casesGet(1, 100, null, List.of(caseId), null, null, "-dateCreated", null).getCases().size() == 1, "Ids: the one case");
  }

  /** A managed test case's payments (SPEC §10): the whole amount to the creditor, corrected and deleted as §4.4. */
  void managedPayments() throws ApiException {
    UUID id = testCase.getId();
    DebituraWebExternalApiContractsV1PaymentsCreateManagedCasePaymentResponse out = managed.managedCasesIdPaymentsPost(id, new DebituraWebExternalApiContractsV1PaymentsCreateManagedCasePaymentRequest()
        .date(day(2024, 9, 10))
        .paymentAmount(100.0)
        .closeCase(false));
    check(out.getPaymentId() != null && testCase.getReference().equals(out.getCaseReference()), "managed payment: paymentId, caseReference");
    check(Double.valueOf(100.0).equals(out.getPaymentAmount()) && Double.valueOf(400.0).equals(out.getRemainingAmount()), "managed payment: amount and remainingAmount");
    check(Boolean.FALSE.equals(out.getCaseClosed()) && day(2024, 9, 10).isEqual(out.getDate()), "managed payment: caseClosed, date");
    List<DebituraWebExternalApiContractsV1PaymentsPaymentDto> list = managed.managedCasesIdPaymentsGet(id);
    check(list.size() == 1 && out.getPaymentId().equals(list.get(0).getId()), "managed payments: the one recorded");
    check(id.equals(list.get(0).getInvoice().getInvoiceId()), "managed payment: invoice.invoiceId");
    DebituraWebExternalApiContractsV1PaymentsPaymentDto corrected = managed.managedCasesIdPaymentsPaymentIdPut(id, out.getPaymentId(), new DebituraWebExternalApiContractsV1PaymentsUpdatePaymentRequest()
        .date(day(2024, 9, 11))
        .paymentAmount(150.0)
        .paymentRecipient("CollectionPartner"));
    check(out.getPaymentId().equals(corrected.getId()) && Double.valueOf(150.0).equals(corrected.getGrossAmount()), "managed payment corrected");
    check(Double.valueOf(350.0).equals(managed.managedCasesIdGet(id).getRemainder()), "the test case's remainder after the correction");
    managed.managedCasesIdPaymentsPaymentIdDelete(id, out.getPaymentId(), null);
    check(managed.managedCasesIdPaymentsGet(id).isEmpty(), "managed payment deleted");
  }

  void managedPaymentsOnProductionCase() throws ApiException {
    expectStatus(400, () -> managed.managedCasesIdPaymentsGet(caseId), "GET managed payments of a production case");
    expectStatus(400, () -> managed.managedCasesIdPaymentsPost(caseId, new DebituraWebExternalApiContractsV1PaymentsCreateManagedCasePaymentRequest()
        .date(day(2024, 9, 10))
        .paymentAmount(1.0)), "POST a managed payment on a production case");
    check(cases.casesIdPaymentsGet(caseId).size() == 1, "nothing recorded on the production case");
  }

  void createTestWebhook() throws ApiException {
    DebituraDomainModelWebhooksDtosWebhookDto hook = webhooks.webhooksPost(new DebituraDomainModelWebhooksDtosCreateWebhookRequest()
        .url(java.net.URI.create(webhookUrl))
        .events(List.of("case.updated", "payment.created"))
        .isTestMode(true));
    check(hook.getId() != null && Boolean.TRUE.equals(hook.getIsTestMode()), "test-mode webhook");
    testWebhookId = hook.getId();
  }

  /** A real event built from the test case, delivered to the test-mode subscription: the 200 answer is enough here. */
  void fireWebhook() throws ApiException {
    DebituraWebExternalApiContractsV1CasesFireWebhookResponse out = testWebhooks.testWebhooksFirePost(new DebituraWebExternalApiContractsV1CasesRequestsFireWebhookRequest()
        .event("case.updated")
        .caseId(testCase.getId())
        .subscriptionId(testWebhookId));
    check("case.updated".equals(out.getEventType()) && testCase.getId().equals(out.getCaseId()), "fired: eventType, caseId");
    check(Integer.valueOf(1).equals(out.getEnqueuedCount()), "fired: enqueued for the one subscription, got " + out.getEnqueuedCount());
    List<DebituraWebCollectionPartnerApiModelsWebhooksWebhookEventDto> fired = events.webhooksEventsGet(testCase.getId(), null);
    check(fired.size() == 1 && testWebhookId.equals(fired.get(0).getSubscriptionId()), "the fired event is logged");
    firedEventId = fired.get(0).getId();
  }

  void replayLastEvent() throws ApiException {
    DebituraWebExternalApiContractsV1CasesReplayLastEventResponse out = testCases.testCasesIdReplayLastEventPost(testCase.getId());
    check(firedEventId.equals(out.getEventId()), "replayed: the newest event");
    check(testWebhookId.equals(out.getSubscriptionId()) && "case.updated".equals(out.getEventType()), "replayed: subscriptionId, eventType");
  }

  void deleteTestWebhook() throws ApiException {
    webhooks.webhooksIdDelete(testWebhookId);
  }

  void advanceTestCase() throws ApiException {
    DebituraWebExternalApiContractsV1CasesAdvanceTestCaseResponse out = testCases.testCasesIdAdvancePost(testCase.getId(),
        new DebituraWebExternalApiContractsV1CasesRequestsAdvanceTestCaseRequest().to("Closed:Paid").amount(500.0));
    check(Boolean.TRUE.equals(out.getAdvanced()) && "Closed:Paid".equals(out.getState()), "advanced to Closed:Paid");
    List<DebituraWebExternalApiContractsV1PaymentsPaymentDto> paid = cases.casesIdPaymentsGet(testCase.getId());
    check(paid.size() == 1, "the payment of the advance");
  }

  void deleteTestCases() throws ApiException {
    testCases.testCasesIdDelete(testCase.getId());
    testCases.testCasesDelete(tag);
    try {
      cases.casesIdGet(testCase.getId());
      check(false, "a deleted test case is gone");
    } catch (ApiException e) {
      check(e.getCode() == 404, "404 after delete, got " + e.getCode());
    }
  }

  // ---- helpers

  /** The fields the issue found a generated client reading as null. */
  private static void checkCaseFields(DebituraWebExternalApiContractsV1CasesInvoiceDto c, String what) {
    check(c.getId() != null && c.getReference() != null && c.getDateCreated() != null, what + ": id, reference, dateCreated");
    check(c.getCurrency() != null && c.getGrossAmount() != null && c.getRemainder() != null, what + ": money");
    check(c.getCollectionPartner() != null && c.getCollectionPartner().getName() != null, what + ": collectionPartner.name");
    check(c.getDebtor() == null || c.getDebtor().getName() != null, what + ": debtor.name");
  }

  private static DebituraWebExternalApiContractsV1PaymentsCreatePaymentRequest payment(double amount) {
    return new DebituraWebExternalApiContractsV1PaymentsCreatePaymentRequest()
        .date(day(2024, 5, 10))
        .paymentAmount(amount)
        .paymentRecipient("CollectionPartner");
  }

  private static OffsetDateTime day(int y, int m, int d) {
    return OffsetDateTime.of(y, m, d, 0, 0, 0, 0, ZoneOffset.UTC);
  }

  interface Call {
    void run() throws ApiException;
  }

  /** The call fails with that status (an error body is not read into a model). */
  private static void expectStatus(int status, Call call, String what) {
    try {
      call.run();
    } catch (ApiException e) {
      check(e.getCode() == status, what + ": " + status + ", got " + e.getCode() + " " + e.getResponseBody());
      return;
    }
    check(false, what + ": " + status + ", got a 2xx");
  }

  private static void check(boolean ok, String what) {
    if (!ok) throw new IllegalStateException("expected " + what);
  }

  private static String required(String name) {
    String v = System.getProperty(name);
    if (v == null || v.isEmpty()) {
      System.out.println("STEP FAIL setup: system property " + name + " is required");
      System.exit(2);
    }
    return v;
  }

  private static void step(String name, Step s) {
    try {
      s.run();
      System.out.println("STEP ok " + name);
    } catch (Throwable e) {
      System.out.println("STEP FAIL " + name + ": " + describe(e));
      e.printStackTrace(System.out);
      System.exit(1);
    }
  }

  private static String describe(Throwable e) {
    if (e instanceof ApiException a) return "HTTP " + a.getCode() + " " + a.getMessage() + " body: " + a.getResponseBody();
    return e.toString();
  }
}
